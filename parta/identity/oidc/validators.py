"""What the ID tells a journal about a person, and the checks django-oauth-toolkit leaves to the site.

Claims by scope (``openid phone edu_profile``):

- ``openid`` → ``sub``: the educational profile's ``sub`` (a UUID that never changes), never the
  account's primary key;
- ``phone`` → ``phone_number`` (E.164) and ``phone_number_verified`` (always true: a phone signs in
  only with a code sent to it);
- ``edu_profile`` → ``family_name``, ``given_name``, ``middle_name`` (left out when empty, as OpenID
  Connect Core §5.3.2 asks), ``birthdate`` (YYYY-MM-DD) and ``gender`` (``male`` / ``female``).

The same claims go into the ID token and the userinfo response. Beyond them, this validator refuses
tokens of an account that is inactive or has no educational profile and of a journal that is switched
off, never lets a request sign in silently (``prompt=none`` always answers ``login_required``: every
linking shows «Ваш профиль для связки», manual 000), and revokes what a reused authorization code had
obtained (RFC 6749 §4.1.2).

``auth_time`` in an ID token is when the person signed in in the browser that authorized (kept with the
code and then with its refresh-token family, :class:`~parta.identity.models.OidcAuthTime`), not the
account's ``last_login``. Tokens issued are recorded in the audit log (``oidc_tokens_issued``: the
journal, the grant, the scopes — never a token).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from jwcrypto import jws
from oauth2_provider.models import AccessToken, RefreshToken, get_grant_model, revoke_access_token
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.models import Account, AuditKind, EducationalProfile, JournalClient, OidcAuthTime

log = logging.getLogger(__name__)

SCOPE_CLAIMS = {
    "openid": ("sub",),
    "phone": ("phone_number", "phone_number_verified"),
    "edu_profile": ("family_name", "given_name", "middle_name", "birthdate", "gender"),
}

# Where a redeemed code remembers what it obtained, so a second use can revoke it (key: its SHA-256).
USED_CODE_CACHE_KEY = "parta:oidc:used-code:{}"


def _profile(request: Any) -> EducationalProfile:
    profile: EducationalProfile = request.user.profile
    return profile


def account_usable(account: object) -> bool:
    """Whether tokens may be issued to, or still speak for, ``account``."""
    return (
        isinstance(account, Account)
        and account.is_active
        and EducationalProfile.objects.filter(account_id=account.pk).exists()
    )


def journal_switched_off(application_id: int | None) -> bool:
    if application_id is None:
        return False
    return JournalClient.objects.filter(application_id=application_id, is_active=False).exists()


def _client_ip(headers: Any) -> str | None:
    """The journal server's address at the token endpoint (DOT passes Django's ``META`` as headers)."""
    header = str(limits.setting("PARTA_ID_CLIENT_IP_HEADER", "") or "")
    raw = str(headers.get(header, "") if header else "").split(",")[0].strip() or str(
        headers.get("REMOTE_ADDR", "")
    )
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


def _code_key(code: str) -> str:
    return USED_CODE_CACHE_KEY.format(hashlib.sha256(code.encode()).hexdigest())


class IdentityValidator(OAuth2Validator):
    # Which scope releases which claim (DOT drops every claim not listed here).
    oidc_claim_scope = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}

    # --- claims -------------------------------------------------------------------------------------------

    def get_additional_claims(self) -> dict[str, Callable[[Any], object]]:
        """Claims as functions of the request: DOT also lists their names in ``claims_supported``."""
        return {
            "sub": lambda request: str(_profile(request).sub),
            "family_name": lambda request: _profile(request).last_name,
            "given_name": lambda request: _profile(request).first_name,
            "middle_name": lambda request: _profile(request).middle_name,
            "birthdate": lambda request: _profile(request).birth_date.isoformat(),
            "gender": lambda request: _profile(request).gender,
            "phone_number": lambda request: request.user.phone,
            "phone_number_verified": lambda request: True,
        }

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, object]:
        claims = super().get_oidc_claims(token, token_handler, request)
        return {name: value for name, value in claims.items() if value not in (None, "")}

    # --- who may obtain and use tokens ------------------------------------------------------------------

    def _load_application(self, client_id: str, request: Any) -> Any:
        application = super()._load_application(client_id, request)
        if application is not None and journal_switched_off(application.pk):
            request.client = None
            return None
        return application

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            self._revoke_what_the_code_obtained(code)
            return False
        request.auth_time = (
            OidcAuthTime.objects.filter(grant__code=code, grant__application=client)
            .values_list("auth_time", flat=True)
            .first()
        )
        return account_usable(request.user)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid: bool = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        family = getattr(getattr(request, "refresh_token_instance", None), "token_family", None)
        request.auth_time = (
            OidcAuthTime.objects.filter(token_family=family).values_list("auth_time", flat=True).first()
            if family
            else None
        )
        return valid and account_usable(request.user)

    # --- auth_time: the sign-in of the browser that authorized ------------------------------------------

    def save_authorization_code(
        self, client_id: str, code: Any, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        signed_in = getattr(request, "auth_time", None)
        if not isinstance(signed_in, int):
            return
        now = timezone.now()
        keep = oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS or 0
        keep += (
            oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS + oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS
        )
        OidcAuthTime.objects.filter(created_at__lt=now - dt.timedelta(seconds=keep)).delete()
        OidcAuthTime.objects.create(
            grant=self._grant_for(code["code"], request.client),
            auth_time=dt.datetime.fromtimestamp(signed_in, tz=dt.UTC),
        )

    @staticmethod
    def _grant_for(code: str, client: Any) -> Any:
        return get_grant_model().objects.get(code=code, application=client)

    def get_id_token_dictionary(
        self, token: Any, token_handler: Any, request: Any
    ) -> tuple[dict[str, Any], Any]:
        claims, expires = super().get_id_token_dictionary(token, token_handler, request)
        signed_in = getattr(request, "auth_time", None)
        if isinstance(signed_in, dt.datetime):
            claims["auth_time"] = int(signed_in.timestamp())
        return claims, expires

    def validate_bearer_token(self, token: str, scopes: Any, request: Any) -> bool:
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if account_usable(request.user) and not journal_switched_off(getattr(request.client, "pk", None)):
            return True
        request.oauth2_error = OrderedDict([("error", "invalid_token")])
        return False

    def validate_silent_login(self, request: Any) -> bool:
        """``prompt=none`` never succeeds: linking always shows «Ваш профиль для связки»."""
        return False

    def validate_silent_authorization(self, request: Any) -> bool:
        return False

    # --- a reused authorization code revokes what it obtained (RFC 6749 §4.1.2) ---------------------------

    def _save_bearer_token(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> None:
        super()._save_bearer_token(token, request, *args, **kwargs)
        self._audit_tokens_issued(token, request)
        if request.grant_type != "authorization_code" or not request.code:
            return
        checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
        access_token = AccessToken.objects.filter(token_checksum=checksum).first()
        if access_token is None:
            return
        family = (
            RefreshToken.objects.filter(access_token=access_token)
            .values_list("token_family", flat=True)
            .first()
        )
        if family:
            OidcAuthTime.objects.filter(grant__code=request.code).update(token_family=family)
        cache.set(
            _code_key(request.code),
            {"access_token": access_token.pk, "family": str(family) if family else None},
            timeout=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS,
        )

    @staticmethod
    def _audit_tokens_issued(token: dict[str, Any], request: Any) -> None:
        user = request.user
        audit_record(
            kind=AuditKind.OIDC_TOKENS_ISSUED,
            account=user if isinstance(user, Account) else None,
            target=user.phone if isinstance(user, Account) else "",
            ip=_client_ip(request.headers or {}),
            client_id=getattr(request.client, "client_id", ""),
            grant_type=str(request.grant_type),
            scope=str(token.get("scope", "")),
            refresh="refresh_token" in token,
            id_token="id_token" in token,
        )

    def _revoke_what_the_code_obtained(self, code: str) -> None:
        obtained = cache.get(_code_key(code))
        if not obtained:
            return
        cache.delete(_code_key(code))
        for access_token in AccessToken.objects.filter(pk=obtained["access_token"]):
            revoke_access_token(access_token)
        if obtained["family"]:
            RefreshToken.revoke_family(uuid.UUID(obtained["family"]))
        log.warning("Код авторизации предъявлен повторно: выданные по нему токены отозваны.")

    # --- ID tokens signed with a previous key (RP-initiated logout's id_token_hint) -----------------------

    def _get_key_for_token(self, token: str) -> Any:
        """The key whose ``kid`` the token names: the active one or one kept after a rotation."""
        key = super()._get_key_for_token(token)
        if key is None:
            return None
        unverified = jws.JWS()
        unverified.deserialize(token)
        kid = unverified.jose_header.get("kid")
        for pem in (oauth2_settings.OIDC_RSA_PRIVATE_KEY, *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE):
            candidate = jwk_from_pem(pem)
            if kid and candidate.thumbprint() == kid:
                return candidate
        return key
