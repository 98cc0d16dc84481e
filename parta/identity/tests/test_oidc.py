"""The ID's OpenID Connect provider, as a journal sees it: a real OIDC client library (Authlib) over real
HTTP against the platform served by pytest-django's ``live_server``.

The journal's side is Authlib's OAuth2 client and ``authlib.jose``; the person's browser is an httpx
client carrying a session of the ID, signed in and confirmed the way the sign-in screens leave it
(:func:`parta.identity.flow.flow_confirm`), so these tests do not depend on the screens themselves.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest
from authlib.deprecate import AuthlibDeprecationWarning
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from parta.identity.actions.clients import journal_client_register, journal_client_update
from parta.identity.actions.sessions import SIGNED_IN_AT
from parta.identity.flow import flow_confirm
from parta.identity.models import Account, AuditEvent, AuditKind, DevMessage, JournalClient
from parta.identity.tests import factories

with warnings.catch_warnings():  # Authlib 1.9 deprecates authlib.jose and plain httpx, both still supported
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)  # after Authlib's own "always"
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
]

CLIENT_ID = "test-journal"
JOURNAL_ORIGIN = "http://127.0.0.1:8000"
REDIRECT_URI = f"{JOURNAL_ORIGIN}/integration/callback/"
AFTER_LOGOUT = f"{JOURNAL_ORIGIN}/"
ALL_SCOPES = "openid phone edu_profile"


# --- the parties ----------------------------------------------------------------------------------------


@pytest.fixture
def issuer(live_server: Any, settings: Any) -> str:
    """The live server's issuer (``PARTA_OIDC_ISSUER`` says ``http://127.0.0.1:8001/id`` in the demo)."""
    value = f"{live_server.url}/id"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": value}
    return value


@dataclass
class Journal:
    """The relying party: a registered journal with Authlib's client and the provider's metadata."""

    client_id: str
    client_secret: str
    metadata: dict[str, Any]
    clients: list[OAuth2Client] = field(default_factory=list)

    def oauth(self, scope: str = ALL_SCOPES) -> OAuth2Client:
        client = OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=scope,
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256",
            timeout=10,
        )
        self.clients.append(client)
        return client

    def jwks(self) -> Any:
        return JsonWebKey.import_key_set(httpx.get(self.metadata["jwks_uri"], timeout=10).json())


@pytest.fixture
def journal(issuer: str) -> Iterator[Journal]:
    registration = journal_client_register(
        client_id=CLIENT_ID,
        display_name="БАРС.Электронная школа",
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[AFTER_LOGOUT],
    )
    assert registration.client_secret
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    rp = Journal(client_id=CLIENT_ID, client_secret=registration.client_secret, metadata=metadata)
    yield rp
    for client in rp.clients:
        client.close()


@pytest.fixture
def person() -> Account:
    account = factories.account("+79991234567")
    factories.profile(
        account,
        last="Власенков",
        first="Семен",
        middle="Леонидович",
        birth_date=dt.date(1978, 12, 12),
        gender="male",
    )
    return account


class Browser:
    """The person's browser: a session of the ID (signed in as ``account``) and no redirect following."""

    def __init__(self, base_url: str, account: Account | None) -> None:
        cookies = {}
        self.session_key = ""
        if account is not None:
            django_client = Client()
            django_client.force_login(account)
            self.session_key = django_client.cookies[django_settings.SESSION_COOKIE_NAME].value
            cookies[django_settings.SESSION_COOKIE_NAME] = self.session_key
        self.account = account
        self.http = httpx.Client(base_url=base_url, cookies=cookies, follow_redirects=False, timeout=10)

    def went_through_signin(self, url: str) -> None:
        """What the sign-in screens do at their last step: confirm the profile for this authorize URL."""
        parts = urlsplit(url)
        next_url = f"{parts.path}?{parts.query}"
        request = RequestFactory().get(next_url)
        request.session = SessionStore(session_key=self.session_key)
        request.user = self.account
        flow_confirm(request, next_url=next_url)
        request.session.save()

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)


@pytest.fixture
def browser(live_server: Any, person: Account) -> Iterator[Browser]:
    browser = Browser(live_server.url, person)
    yield browser
    browser.http.close()


def query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class Login:
    oauth: OAuth2Client
    token: dict[str, Any]
    nonce: str
    state: str
    location: str


def log_in(journal: Journal, browser: Browser, *, scope: str = ALL_SCOPES) -> Login:
    """The whole code flow: authorize (PKCE S256, state, nonce) → sign-in → code → token."""
    oauth = journal.oauth(scope)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(
        journal.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser.went_through_signin(url)
    response = browser.get(url)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    token = oauth.fetch_token(
        journal.metadata["token_endpoint"],
        authorization_response=location,
        code_verifier=verifier,
        state=state,
    )
    return Login(oauth=oauth, token=dict(token), nonce=nonce, state=state, location=location)


def id_token_claims(journal: Journal, login: Login, issuer: str) -> Any:
    claims = jwt.decode(
        login.token["id_token"],
        journal.jwks(),
        claims_cls=CodeIDToken,
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": journal.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True},
        },
        claims_params={
            "nonce": login.nonce,
            "client_id": journal.client_id,
            "access_token": login.token["access_token"],
        },
    )
    claims.validate()  # signature (above), iss, aud, exp, iat, nonce, at_hash
    return claims


def userinfo(journal: Journal, access_token: str) -> httpx.Response:
    return httpx.get(
        journal.metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )


def authorize_url(journal: Journal, **params: str) -> str:
    values = {
        "response_type": "code",
        "client_id": journal.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": ALL_SCOPES,
        "state": "st-42",
        "nonce": "n-42",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGlSSdXzGNk",
        "code_challenge_method": "S256",
    }
    values.update(params)
    return (
        journal.metadata["authorization_endpoint"]
        + "?"
        + urlencode({k: v for k, v in values.items() if v != ""})
    )


# --- discovery and keys ---------------------------------------------------------------------------------


def test_discovery_is_consistent_with_the_issuer(journal: Journal, issuer: str) -> None:
    metadata = journal.metadata
    assert metadata["issuer"] == issuer
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "end_session_endpoint",
    ):
        assert metadata[name].startswith(issuer + "/"), name
        assert httpx.options(metadata[name], timeout=10).status_code != 404, name
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(metadata["scopes_supported"]) == {"openid", "phone", "edu_profile"}
    assert set(metadata["claims_supported"]) == {
        "sub",
        "family_name",
        "given_name",
        "middle_name",
        "birthdate",
        "gender",
        "phone_number",
        "phone_number_verified",
    }


def test_the_jwks_publishes_the_rs256_signing_key(journal: Journal) -> None:
    keys = httpx.get(journal.metadata["jwks_uri"], timeout=10).json()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [("RSA", "RS256", "sig")]
    assert "d" not in keys[0]  # the public half only


# --- the code flow --------------------------------------------------------------------------------------


def test_the_pkce_code_flow_gives_a_signed_id_token_and_userinfo(
    journal: Journal, browser: Browser, person: Account, issuer: str
) -> None:
    login = log_in(journal, browser)
    assert query(login.location)["iss"] == issuer  # RFC 9207
    assert login.token["token_type"].lower() == "bearer"
    assert 0 < login.token["expires_in"] <= 3600
    assert login.token["refresh_token"]

    claims = id_token_claims(journal, login, issuer)
    sub = str(person.profile.sub)
    assert claims["sub"] == sub != str(person.pk)
    assert claims["exp"] > claims["iat"]
    assert claims["family_name"] == "Власенков"

    info = userinfo(journal, login.token["access_token"])
    assert info.status_code == 200
    assert info.json() == {
        "sub": sub,
        "family_name": "Власенков",
        "given_name": "Семен",
        "middle_name": "Леонидович",
        "birthdate": "1978-12-12",
        "gender": "male",
        "phone_number": "+79991234567",
        "phone_number_verified": True,
    }


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("openid", {"sub"}),
        ("openid phone", {"sub", "phone_number", "phone_number_verified"}),
        ("openid edu_profile", {"sub", "family_name", "given_name", "middle_name", "birthdate", "gender"}),
    ],
)
def test_claims_follow_the_scopes(
    journal: Journal, browser: Browser, issuer: str, scope: str, expected: set[str]
) -> None:
    login = log_in(journal, browser, scope=scope)
    assert set(userinfo(journal, login.token["access_token"]).json()) == expected
    standard = {"iss", "aud", "exp", "iat", "auth_time", "jti", "nonce", "at_hash"}
    assert set(id_token_claims(journal, login, issuer)) - standard == expected


def test_an_empty_middle_name_is_left_out(journal: Journal, live_server: Any) -> None:
    account = factories.account()
    factories.profile(account, middle="")
    browser = Browser(live_server.url, account)
    login = log_in(journal, browser)
    assert "middle_name" not in userinfo(journal, login.token["access_token"]).json()


def test_the_state_comes_back_and_the_nonce_goes_into_the_id_token(
    journal: Journal, browser: Browser, issuer: str
) -> None:
    login = log_in(journal, browser)
    assert query(login.location)["state"] == login.state
    assert id_token_claims(journal, login, issuer)["nonce"] == login.nonce


# --- the sign-in screens decide who gets a code ---------------------------------------------------------


def test_without_signing_in_the_browser_goes_to_the_signin_screens(
    journal: Journal, live_server: Any
) -> None:
    anonymous = Browser(live_server.url, None)
    url = authorize_url(journal)
    response = anonymous.get(url)
    assert response.status_code == 302
    parts = urlsplit(url)
    assert response.headers["location"] == "/id/?next=" + quote(f"{parts.path}?{parts.query}")


def test_signed_in_but_not_confirmed_for_this_request_still_goes_to_the_screens(
    journal: Journal, browser: Browser
) -> None:
    browser.went_through_signin(authorize_url(journal, state="another"))
    response = browser.get(authorize_url(journal))
    assert response.headers["location"].startswith("/id/?next=")


def test_an_account_without_an_educational_profile_goes_to_the_screens(
    journal: Journal, live_server: Any
) -> None:
    browser = Browser(live_server.url, factories.account())
    url = authorize_url(journal)
    browser.went_through_signin(url)
    assert browser.get(url).headers["location"].startswith("/id/?next=")


def test_one_confirmation_gives_one_code(journal: Journal, browser: Browser) -> None:
    url = authorize_url(journal)
    browser.went_through_signin(url)
    assert browser.get(url).headers["location"].startswith(REDIRECT_URI)
    assert browser.get(url).headers["location"].startswith("/id/?next=")


def test_an_authorization_request_may_be_posted(journal: Journal, browser: Browser) -> None:
    url = authorize_url(journal)
    parts = urlsplit(url)
    response = browser.http.post(parts.path, data=parse_qs(parts.query))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/id/authorize/?")


# --- refused authorization requests ---------------------------------------------------------------------


def test_without_pkce_the_client_gets_invalid_request(journal: Journal, live_server: Any) -> None:
    response = Browser(live_server.url, None).get(
        authorize_url(journal, code_challenge="", code_challenge_method="")
    )
    assert response.status_code == 302
    answer = query(response.headers["location"])
    assert response.headers["location"].startswith(REDIRECT_URI)
    assert answer["error"] == "invalid_request"
    assert answer["state"] == "st-42"


def test_plain_pkce_is_refused_before_anyone_signs_in(journal: Journal, live_server: Any) -> None:
    url = authorize_url(journal, code_challenge="a" * 43, code_challenge_method="plain")
    response = Browser(live_server.url, None).get(url)
    assert response.headers["location"].startswith(REDIRECT_URI)
    assert query(response.headers["location"])["error"] == "invalid_request"
    assert "code" not in query(response.headers["location"])


def test_a_challenge_without_a_method_means_plain_and_is_refused(journal: Journal, live_server: Any) -> None:
    response = Browser(live_server.url, None).get(authorize_url(journal, code_challenge_method=""))
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_prompt_none_answers_login_required(journal: Journal, browser: Browser) -> None:
    response = browser.get(authorize_url(journal, prompt="none"))
    assert query(response.headers["location"])["error"] == "login_required"


def test_an_unknown_scope_goes_back_as_invalid_scope(journal: Journal, live_server: Any) -> None:
    response = Browser(live_server.url, None).get(authorize_url(journal, scope="openid email"))
    assert query(response.headers["location"])["error"] == "invalid_scope"


def test_request_objects_are_not_supported(journal: Journal, live_server: Any) -> None:
    response = Browser(live_server.url, None).get(authorize_url(journal, request="eyJhbGciOiJub25lIn0.e30."))
    assert query(response.headers["location"])["error"] == "request_not_supported"


def test_a_malformed_request_gets_a_page_not_a_server_error(journal: Journal, live_server: Any) -> None:
    for broken in (authorize_url(journal, claims="{not json"), authorize_url(journal) + "&state=twice"):
        response = Browser(live_server.url, None).get(broken)
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "Ссылка для входа составлена неверно" in response.text


def test_an_unknown_client_gets_a_page_in_russian(journal: Journal, live_server: Any) -> None:
    response = Browser(live_server.url, None).get(authorize_url(journal, client_id="nobody"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "не зарегистрирован" in response.text


def test_a_wrong_redirect_uri_gets_a_page_and_never_a_redirect(journal: Journal, live_server: Any) -> None:
    response = Browser(live_server.url, None).get(
        authorize_url(journal, redirect_uri="https://evil.example/callback")
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "не зарегистрирован" in response.text
    assert "evil.example" not in response.text


def test_a_journal_switched_off_gets_a_page(journal: Journal, live_server: Any) -> None:
    JournalClient.objects.filter(application__client_id=CLIENT_ID).update(is_active=False)
    response = Browser(live_server.url, None).get(authorize_url(journal))
    assert response.status_code == 400
    assert "«БАРС.Электронная школа» отключён" in response.text


# --- refused token requests -----------------------------------------------------------------------------


def _code_and_verifier(journal: Journal, browser: Browser) -> tuple[OAuth2Client, str, str, str]:
    oauth = journal.oauth()
    verifier = secrets.token_urlsafe(48)
    url, state = oauth.create_authorization_url(
        journal.metadata["authorization_endpoint"], code_verifier=verifier
    )
    browser.went_through_signin(url)
    location = browser.get(url).headers["location"]
    return oauth, location, verifier, state


def test_a_code_is_single_use_and_its_reuse_revokes_what_it_gave(journal: Journal, browser: Browser) -> None:
    oauth, location, verifier, state = _code_and_verifier(journal, browser)
    token_endpoint = journal.metadata["token_endpoint"]
    token = oauth.fetch_token(
        token_endpoint, authorization_response=location, code_verifier=verifier, state=state
    )
    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(
            token_endpoint, authorization_response=location, code_verifier=verifier, state=state
        )
    assert refused.value.error == "invalid_grant"
    assert userinfo(journal, token["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        oauth.refresh_token(token_endpoint, refresh_token=token["refresh_token"])


def test_a_wrong_verifier_is_refused(journal: Journal, browser: Browser) -> None:
    oauth, location, _verifier, state = _code_and_verifier(journal, browser)
    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(
            journal.metadata["token_endpoint"],
            authorization_response=location,
            code_verifier=secrets.token_urlsafe(48),
            state=state,
        )
    assert refused.value.error == "invalid_grant"


def test_an_expired_code_is_refused(journal: Journal, browser: Browser) -> None:
    oauth, location, verifier, state = _code_and_verifier(journal, browser)
    assert Grant.objects.get().expires <= timezone.now() + dt.timedelta(seconds=60)
    Grant.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(
            journal.metadata["token_endpoint"],
            authorization_response=location,
            code_verifier=verifier,
            state=state,
        )
    assert refused.value.error == "invalid_grant"


def test_a_code_for_another_redirect_uri_is_refused(journal: Journal, browser: Browser) -> None:
    _oauth, location, verifier, _state = _code_and_verifier(journal, browser)
    response = httpx.post(
        journal.metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query(location)["code"],
            "redirect_uri": f"{JOURNAL_ORIGIN}/other/",
            "code_verifier": verifier,
        },
        auth=(journal.client_id, journal.client_secret),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}


def test_a_wrong_client_secret_is_refused(journal: Journal, browser: Browser) -> None:
    _oauth, location, verifier, _state = _code_and_verifier(journal, browser)
    response = httpx.post(
        journal.metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query(location)["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(journal.client_id, "not-the-secret"),
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- refresh tokens rotate; a reused one revokes the family ---------------------------------------------


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(
    journal: Journal, browser: Browser, issuer: str
) -> None:
    login = log_in(journal, browser)
    token_endpoint = journal.metadata["token_endpoint"]
    first = login.token["refresh_token"]

    second_token = login.oauth.refresh_token(token_endpoint, refresh_token=first)
    second = second_token["refresh_token"]
    assert second != first
    assert userinfo(journal, second_token["access_token"]).status_code == 200
    assert userinfo(journal, login.token["access_token"]).status_code == 401  # the old access token is gone

    with pytest.raises(OAuthError) as refused:  # someone replays the first refresh token
        login.oauth.refresh_token(token_endpoint, refresh_token=first)
    assert refused.value.error == "invalid_grant"

    # … and the whole family is revoked: the legitimate holder's newest tokens stop working too.
    assert userinfo(journal, second_token["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        login.oauth.refresh_token(token_endpoint, refresh_token=second)
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not AccessToken.objects.exists()


def test_tokens_are_stored_only_as_digests(journal: Journal, browser: Browser) -> None:
    login = log_in(journal, browser)
    assert not AccessToken.objects.filter(token=login.token["access_token"]).exists()
    assert not RefreshToken.objects.filter(token=login.token["refresh_token"]).exists()
    assert AccessToken.objects.count() == 1


# --- revocation and logout ------------------------------------------------------------------------------


def test_revoking_the_access_token(journal: Journal, browser: Browser) -> None:
    login = log_in(journal, browser)
    response = login.oauth.revoke_token(
        journal.metadata["revocation_endpoint"],
        token=login.token["access_token"],
        token_type_hint="access_token",
    )
    assert response.status_code == 200
    assert userinfo(journal, login.token["access_token"]).status_code == 401


def test_revoking_the_refresh_token(journal: Journal, browser: Browser) -> None:
    login = log_in(journal, browser)
    response = login.oauth.revoke_token(
        journal.metadata["revocation_endpoint"],
        token=login.token["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert response.status_code == 200
    with pytest.raises(OAuthError):
        login.oauth.refresh_token(
            journal.metadata["token_endpoint"], refresh_token=login.token["refresh_token"]
        )


def test_rp_initiated_logout_ends_the_session_and_goes_back_with_the_state(
    journal: Journal, browser: Browser
) -> None:
    login = log_in(journal, browser)
    end_session = journal.metadata["end_session_endpoint"]
    response = browser.get(
        end_session
        + "?"
        + urlencode(
            {
                "id_token_hint": login.token["id_token"],
                "post_logout_redirect_uri": AFTER_LOGOUT,
                "state": "bye-1",
            }
        )
    )
    assert response.status_code == 302
    assert response.headers["location"] == f"{AFTER_LOGOUT}?state=bye-1"
    assert userinfo(journal, login.token["access_token"]).status_code == 401
    # The ID session is over: the next authorization request goes to the sign-in screens.
    url = authorize_url(journal)
    browser.went_through_signin(url)
    assert browser.get(url).headers["location"].startswith("/id/?next=")


def test_logout_without_a_hint_asks_first_in_russian(journal: Journal, browser: Browser) -> None:
    response = browser.get(journal.metadata["end_session_endpoint"] + f"?client_id={CLIENT_ID}")
    assert response.status_code == 200
    assert "Выйти из Сферум ID?" in response.text
    assert "«БАРС.Электронная школа»" in response.text


def _logout_form(response: httpx.Response) -> dict[str, str]:
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text)
    return {name: html.unescape(value) for name, value in fields}


@pytest.mark.parametrize("choice", ["Выйти", "Отмена"])
def test_logout_asks_and_does_what_the_person_chooses(
    journal: Journal, browser: Browser, choice: str
) -> None:
    login = log_in(journal, browser)
    end_session = journal.metadata["end_session_endpoint"]
    asked = browser.get(
        end_session
        + "?"
        + urlencode({"client_id": CLIENT_ID, "post_logout_redirect_uri": AFTER_LOGOUT, "state": "bye-2"})
    )
    assert "Выйти из Сферум ID?" in asked.text
    form = _logout_form(asked)
    if choice == "Выйти":
        form["allow"] = "on"
    answer = browser.http.post(end_session, data=form, headers={"Referer": end_session})
    if choice == "Выйти":
        assert answer.headers["location"] == f"{AFTER_LOGOUT}?state=bye-2"
        assert userinfo(journal, login.token["access_token"]).status_code == 401
    else:
        assert "Выход отменён" in answer.text
        assert userinfo(journal, login.token["access_token"]).status_code == 200


def test_logout_to_an_unregistered_address_is_refused(journal: Journal, browser: Browser) -> None:
    login = log_in(journal, browser)
    response = browser.get(
        journal.metadata["end_session_endpoint"]
        + "?"
        + urlencode(
            {
                "id_token_hint": login.token["id_token"],
                "post_logout_redirect_uri": "https://evil.example/",
            }
        )
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "не зарегистрирован" in response.text
    assert userinfo(journal, login.token["access_token"]).status_code == 200


def test_logout_for_an_unknown_client_is_a_page_not_an_error(journal: Journal, browser: Browser) -> None:
    response = browser.get(journal.metadata["end_session_endpoint"] + "?client_id=nobody")
    assert response.status_code == 400
    assert "не зарегистрирован" in response.text


# --- key rotation ---------------------------------------------------------------------------------------


def test_after_a_key_rotation_old_id_tokens_still_verify_and_log_out(
    journal: Journal, browser: Browser, issuer: str, settings: Any
) -> None:
    login = log_in(journal, browser)
    old = settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]
    new = jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": new,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [old],
    }
    keys = httpx.get(journal.metadata["jwks_uri"], timeout=10).json()["keys"]
    assert len(keys) == 2
    id_token_claims(journal, login, issuer)  # the old token still verifies against the JWKS

    newer = log_in(journal, browser)
    assert (
        jwt.decode(newer.token["id_token"], journal.jwks()).header["kid"]
        == jwk.JWK.from_pem(new.encode()).thumbprint()
    )

    response = browser.get(
        journal.metadata["end_session_endpoint"]
        + "?"
        + urlencode({"id_token_hint": login.token["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT})
    )
    assert response.headers["location"] == AFTER_LOGOUT


# --- prompt=login, max_age, auth_time ---------------------------------------------------------------------


def _signed_in_at(browser: Browser, at: int) -> None:
    """Say that this browser's session signed in at ``at`` (epoch seconds)."""
    session = SessionStore(session_key=browser.session_key)
    session[SIGNED_IN_AT] = at
    session.save()


def _sign_in_through_the_screens(browser: Browser, location: str) -> httpx.Response:
    """«Вход» (the phone filled in) → the code from the dev outbox → «Информация о себе» → authorize."""

    def form_token(response: httpx.Response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        assert match, response.text[:500]
        return match.group(1)

    page = browser.http.get(location)
    assert 'value="+7 999 123-45-67"' in page.text  # the phone is filled in: the same person signs in again
    response = browser.http.post(
        "/id/", data={"login": "+79991234567", "csrfmiddlewaretoken": form_token(page)}
    )
    assert response.headers["location"] == "/id/code/"
    page = browser.http.get("/id/code/")
    code = DevMessage.objects.filter(to="+79991234567").order_by("-id").first()
    assert code is not None
    response = browser.http.post(
        "/id/code/", data={"code": code.code, "csrfmiddlewaretoken": form_token(page)}
    )
    assert response.headers["location"] == "/id/profile/"
    page = browser.http.get("/id/profile/about/")
    about = {
        "first_name": "Семен",
        "last_name": "Власенков",
        "middle_name": "Леонидович",
        "birth_date": "1978-12-12",
        "gender": "male",
        "csrfmiddlewaretoken": form_token(page),
    }
    response = browser.http.post("/id/profile/about/", data=about)
    assert response.status_code == 302
    return browser.http.get(response.headers["location"])


def test_prompt_login_makes_the_person_sign_in_again(journal: Journal, browser: Browser) -> None:
    url = authorize_url(journal, prompt="login")
    browser.went_through_signin(url)  # signed in and confirmed, but not for this request's own sign-in
    response = browser.get(url)
    assert response.headers["location"] == "/id/?edit=1"
    assert "code" not in query(response.headers["location"])
    assert AuditEvent.objects.filter(kind=AuditKind.OIDC_REAUTH, account=browser.account).exists()
    # The old session is signed out.
    assert (
        not Account.objects.get(pk=browser.account.pk)
        .sessions.filter(session_key=browser.session_key)
        .exists()
    )

    response = _sign_in_through_the_screens(browser, "/id/?edit=1")
    assert response.status_code == 302
    answer = query(response.headers["location"])
    assert response.headers["location"].startswith(REDIRECT_URI)
    assert answer["state"] == "st-42"
    assert answer["code"]


def test_max_age_older_than_the_sign_in_asks_to_sign_in_again(journal: Journal, browser: Browser) -> None:
    _signed_in_at(browser, int(dt.datetime.now(tz=dt.UTC).timestamp()) - 7200)
    url = authorize_url(journal, max_age="3600")
    browser.went_through_signin(url)
    assert browser.get(url).headers["location"] == "/id/?edit=1"
    response = _sign_in_through_the_screens(browser, "/id/?edit=1")
    assert query(response.headers["location"])["code"]


def test_max_age_within_the_sign_in_gives_a_code_with_its_auth_time(
    journal: Journal, browser: Browser, issuer: str
) -> None:
    signed_in = int(dt.datetime.now(tz=dt.UTC).timestamp()) - 600
    _signed_in_at(browser, signed_in)
    oauth = journal.oauth()
    verifier = secrets.token_urlsafe(48)
    url, state = oauth.create_authorization_url(
        journal.metadata["authorization_endpoint"], code_verifier=verifier, nonce="n-1", max_age=3600
    )
    browser.went_through_signin(url)
    location = browser.get(url).headers["location"]
    assert location.startswith(REDIRECT_URI)
    # Another browser signing in later changes the account's last_login, not this sign-in's time.
    Account.objects.filter(pk=browser.account.pk).update(last_login=timezone.now())
    token = oauth.fetch_token(
        journal.metadata["token_endpoint"],
        authorization_response=location,
        code_verifier=verifier,
        state=state,
    )
    login = Login(oauth=oauth, token=dict(token), nonce="n-1", state=state, location=location)
    assert id_token_claims(journal, login, issuer)["auth_time"] == signed_in
    # A refreshed ID token keeps the time of the sign-in.
    refreshed = oauth.refresh_token(journal.metadata["token_endpoint"], refresh_token=token["refresh_token"])
    claims = jwt.decode(refreshed["id_token"], journal.jwks())
    assert claims["auth_time"] == signed_in


@pytest.mark.parametrize("value", ["abc", "-5", "1.5", ""])
def test_a_malformed_max_age_goes_back_as_invalid_request(
    journal: Journal, browser: Browser, value: str
) -> None:
    url = authorize_url(journal, max_age=value or " ")
    browser.went_through_signin(url)
    response = browser.get(url)
    assert response.headers["location"].startswith(REDIRECT_URI)
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_discovery_lists_prompt_login(journal: Journal) -> None:
    assert set(journal.metadata["prompt_values_supported"]) == {"none", "login"}


# --- the audit log of authorizations and tokens -----------------------------------------------------------


def test_codes_and_tokens_issued_are_in_the_audit_log(journal: Journal, browser: Browser) -> None:
    login = log_in(journal, browser)
    authorized = AuditEvent.objects.get(kind=AuditKind.OIDC_AUTHORIZED)
    assert authorized.account == browser.account
    assert authorized.detail == {"client_id": CLIENT_ID, "scope": ALL_SCOPES}
    assert authorized.ip == "127.0.0.1"
    issued = AuditEvent.objects.get(kind=AuditKind.OIDC_TOKENS_ISSUED)
    assert issued.account == browser.account
    assert issued.detail["client_id"] == CLIENT_ID
    assert issued.detail["grant_type"] == "authorization_code"
    assert issued.detail["id_token"] is True
    login.oauth.refresh_token(journal.metadata["token_endpoint"], refresh_token=login.token["refresh_token"])
    grants = list(
        AuditEvent.objects.filter(kind=AuditKind.OIDC_TOKENS_ISSUED).values_list(
            "detail__grant_type", flat=True
        )
    )
    assert sorted(grants) == ["authorization_code", "refresh_token"]
    secrets_seen = {login.token["access_token"], login.token["refresh_token"], login.token["id_token"]}
    for event in AuditEvent.objects.all():
        assert not any(secret in str(event.detail) for secret in secrets_seen)


# --- a journal switched off ------------------------------------------------------------------------------


def test_a_journal_switched_off_loses_its_tokens_and_gets_them_back_when_on(
    journal: Journal, browser: Browser
) -> None:
    login = log_in(journal, browser)
    assert userinfo(journal, login.token["access_token"]).status_code == 200
    journal_client_update(client_id=CLIENT_ID, is_active=False)
    assert userinfo(journal, login.token["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        login.oauth.refresh_token(
            journal.metadata["token_endpoint"], refresh_token=login.token["refresh_token"]
        )
    journal_client_update(client_id=CLIENT_ID, is_active=True)
    assert userinfo(journal, login.token["access_token"]).status_code == 200
