"""The ID's OpenID Connect endpoints: discovery, authorize and RP-initiated logout are the ID's own; the
JWKS, token, userinfo and revocation endpoints are django-oauth-toolkit's, configured in the platform's
settings (``OAUTH2_PROVIDER``) and :mod:`parta.identity.oidc.validators`.

Authorize checks the request first. A request that cannot be answered to its client — no or unknown
``client_id``, a journal switched off, a missing or unregistered ``redirect_uri``, a malformed query —
gets a page in Russian (RFC 6749 §4.1.2.1: never a redirect to an address nobody registered). Every other
error goes back to the registered redirect URI with ``error``, ``state`` and ``iss``: no PKCE or a method
other than ``S256`` (RFC 7636 §4.4.1), unknown scope, a response type other than ``code``,
``prompt=none``, a malformed ``max_age``. Only then is the browser sent to the sign-in screens, which end
with :func:`parta.identity.flow.flow_confirm`; the code is issued once the confirmation is there.

``prompt=login``, and a ``max_age`` shorter than the time since this browser signed in, make the person
sign in again (OpenID Connect Core §3.1.2.1): the browser is signed out and «Вход» opens with the phone
filled in; the code is issued only after a sign-in made during these screens. The ID token's
``auth_time`` is that sign-in's time (kept with the code: :class:`~parta.identity.models.OidcAuthTime`).
Each code issued is an ``oidc_authorized`` event of the audit log; tokens, ``oidc_tokens_issued``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from oauth2_provider.exceptions import (
    ClientIdMissmatch,
    InvalidIDTokenError,
    InvalidOIDCClientError,
    InvalidOIDCRedirectURIError,
    LogoutDenied,
    OAuthToolkitError,
)
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView, RPInitiatedLogoutView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.oauth2.rfc6749 import errors as oauth_errors
from oauthlib.openid.connect.core.exceptions import RequestNotSupported, RequestURINotSupported

from parta.identity import queries
from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.actions.sessions import signed_in_seconds_ago
from parta.identity.actions.signin import signout
from parta.identity.flow import flow_confirmed, flow_consume
from parta.identity.models import Account, AuditKind, JournalClient
from parta.identity.oidc.pages import page
from parta.identity.oidc.validators import IdentityValidator
from parta.identity.views.state import SigninFlow

Application = get_application_model()

ADVICE = (
    "Вернитесь в электронный журнал и попробуйте ещё раз. Если ошибка повторяется, сообщите "
    "администратору журнала: это ошибка настройки сервиса, а не вашего аккаунта."
)


def issuer() -> str:
    """The issuer identifier (``PARTA_OIDC_ISSUER``): every URL the provider publishes starts with it."""
    return str(oauth2_settings.OIDC_ISS_ENDPOINT).rstrip("/")


def _endpoint(name: str) -> str:
    """``issuer`` + the endpoint's path below the mount point of these URLs (``/id`` on the platform)."""
    mount = reverse("oidc:discovery").removesuffix("/.well-known/openid-configuration")
    return issuer() + reverse(f"oidc:{name}").removeprefix(mount)


def _with_params(url: str, params: list[tuple[str, str]]) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in dict(params)]
    return urlunsplit((scheme, netloc, path, urlencode([*pairs, *params]), fragment))


def _journal_name(client_id: str) -> tuple[str, bool] | None:
    """A registered journal's display name and whether it is switched on."""
    row = (
        JournalClient.objects.filter(application__client_id=client_id)
        .values_list("display_name", "is_active")
        .first()
    )
    return (row[0], row[1]) if row else None


# --- discovery ------------------------------------------------------------------------------------------


@never_cache
def discovery(request: HttpRequest) -> JsonResponse:
    """OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3), every URL built from the issuer."""
    claims = sorted(set(IdentityValidator().get_discovery_claims(request)), key=lambda c: (c != "sub", c))
    auth_methods = list(oauth2_settings.OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED)
    data = {
        "issuer": issuer(),
        "authorization_endpoint": _endpoint("authorize"),
        "token_endpoint": _endpoint("token"),
        "userinfo_endpoint": _endpoint("userinfo"),
        "jwks_uri": _endpoint("jwks"),
        "revocation_endpoint": _endpoint("revoke"),
        "end_session_endpoint": _endpoint("end-session"),
        "scopes_supported": list(oauth2_settings.SCOPES),
        "claims_supported": claims,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login"],
        "authorization_response_iss_parameter_supported": True,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "ui_locales_supported": ["ru"],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- authorize ------------------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
@method_decorator(csrf_exempt, name="dispatch")  # POST is only turned into the same GET (below)
class AuthorizeView(AuthorizationView):
    http_method_names = ["get", "post"]  # not HEAD: a GET may issue a code

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # DOT's AuthorizationView sends anyone not signed in to LOGIN_URL before it looks at the
        # request; here the request is checked first (see the module's docstring), so the login
        # mixin is skipped and get() decides.
        self.oauth2_data: dict[str, Any] = {}
        return View.dispatch(self, request, *args, **kwargs)  # type: ignore[return-value]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """OpenID Connect Core §3.1.2.1 allows the request as a form POST: continue as the same GET."""
        response = HttpResponseRedirect(f"{request.path}?{request.POST.urlencode()}")
        response.status_code = 303
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = Application.objects.get(client_id=credentials["client_id"])  # just validated
        # Request objects (OpenID Connect Core §6) are not supported, and discovery says so.
        for param, refusal in (("request", RequestNotSupported), ("request_uri", RequestURINotSupported)):
            if param in request.GET:
                return self.error_response(
                    OAuthToolkitError(refusal(request=credentials["request"])), application
                )
        max_age = self._max_age(request)
        if max_age == -1:
            refusal = oauth_errors.InvalidRequestError(
                description="max_age must be a non-negative integer (seconds).",
                request=credentials["request"],
            )
            return self.error_response(OAuthToolkitError(refusal), application)
        path = request.get_full_path()
        if self._must_sign_in_again(request, max_age):
            return self._sign_in_again(request, path, application)
        if not self._confirmed(request):
            return HttpResponseRedirect(reverse("identity:signin") + "?next=" + quote(path))
        if isinstance(credentials.get("ui_locales"), list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        # When this browser signed in: the ID token's ``auth_time`` (kept with the code by the validator).
        ago = signed_in_seconds_ago(request)
        credentials["auth_time"] = int(time.time()) - ago if ago is not None else None
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        flow_consume(request)  # one confirmation, one code
        user = request.user
        audit_record(
            kind=AuditKind.OIDC_AUTHORIZED,
            account=user if isinstance(user, Account) else None,
            target=user.phone if isinstance(user, Account) else "",
            ip=limits.client_ip(request),
            client_id=application.client_id,
            scope=" ".join(scopes),
        )
        return self.redirect(uri, application)

    @staticmethod
    def _max_age(request: HttpRequest) -> int | None:
        """``max_age`` in seconds; ``None`` when not asked; ``-1`` when it is not a non-negative integer."""
        raw = request.GET.get("max_age")
        if raw is None:
            return None
        raw = raw.strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else -1

    @staticmethod
    def _must_sign_in_again(request: HttpRequest, max_age: int | None) -> bool:
        """``prompt=login``, or a sign-in older than ``max_age``, and no sign-in made for this request yet.

        Not signed in at all: the sign-in screens come anyway, so nothing more is needed.
        """
        if not request.user.is_authenticated:
            return False
        wanted = "login" in request.GET.get("prompt", "").split()
        if max_age is not None:
            ago = signed_in_seconds_ago(request)
            wanted = wanted or ago is None or ago > max_age
        return wanted and not flow_confirmed(request, next_url=request.get_full_path(), fresh=True)

    def _sign_in_again(self, request: HttpRequest, path: str, application: Any) -> HttpResponse:
        """Sign this browser out and open «Вход» with its phone filled in, to come back to ``path``."""
        user = request.user
        phone = user.phone if isinstance(user, Account) else ""
        audit_record(
            kind=AuditKind.OIDC_REAUTH,
            account=user if isinstance(user, Account) else None,
            target=phone,
            ip=limits.client_ip(request),
            client_id=application.client_id,
        )
        signout(request=request, ip=limits.client_ip(request))
        SigninFlow(next=path, phone=phone).save(request)
        return HttpResponseRedirect(reverse("identity:signin") + "?edit=1")

    @staticmethod
    def _confirmed(request: HttpRequest) -> bool:
        """Signed in, through the sign-in screens for this very request, and with a profile."""
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and flow_confirmed(request, next_url=request.get_full_path())
            and queries.profile_of(user) is not None  # type: ignore[arg-type]
        )

    def error_response(self, error: OAuthToolkitError, application: Any, **kwargs: Any) -> HttpResponse:
        # DOT's mixin decides whether the error may go to the redirect URI (never for a fatal one).
        redirect, details = OAuthLibMixin.error_response(self, error)
        if redirect and error.oauthlib_error.redirect_uri:  # a malformed `claims` comes without one
            return self.redirect(_with_params(details["url"], [("iss", issuer())]), application)
        title, message = self._refusal(error.oauthlib_error)
        context = {"title": title, "message": message, "advice": ADVICE, "code": error.oauthlib_error.error}
        return page(self.request, "oidc/error.html", context, status=400)

    def _refusal(self, error: oauth_errors.OAuth2Error) -> tuple[str, str]:
        """The page's title and message for a request that cannot go back to its client."""
        client_id = self.request.GET.get("client_id", "")
        journal = _journal_name(client_id) if client_id else None
        name = journal[0] if journal else client_id
        title = "Не удалось перейти ко входу"
        if isinstance(error, oauth_errors.MissingClientIdError):
            return (
                title,
                "В ссылке для входа не указан сервис, который просит вход (нет параметра client_id).",
            )
        if isinstance(error, oauth_errors.InvalidClientIdError):
            if journal and not journal[1]:
                return title, f"Сервис «{name}» отключён от входа через этот ID."
            return title, "Сервис, который отправил вас сюда, не зарегистрирован (неизвестный client_id)."
        if isinstance(error, oauth_errors.MismatchingRedirectURIError):
            return (
                title,
                f"Адрес, на который сервис «{name}» просит вернуть вас после входа, не зарегистрирован.",
            )
        if isinstance(error, oauth_errors.MissingRedirectURIError):
            return title, f"В ссылке для входа не указан адрес возврата (redirect_uri) сервиса «{name}»."
        if isinstance(error, oauth_errors.InvalidRedirectURIError):
            return title, "Адрес возврата (redirect_uri) в ссылке для входа записан неверно."
        return title, "Ссылка для входа составлена неверно: в ней повторяются или испорчены параметры."


# --- RP-initiated logout --------------------------------------------------------------------------------

LOGOUT_ERRORS: list[tuple[type[Exception], str]] = [
    (ClientIdMissmatch, "Токен в id_token_hint выдан не тому сервису, который указан в client_id."),
    (
        InvalidIDTokenError,
        "Подсказка id_token_hint недействительна: этот ID её не выдавал или она испорчена.",
    ),
    (InvalidOIDCClientError, "Сервис, который просит выйти, не зарегистрирован (неизвестный client_id)."),
    (
        InvalidOIDCRedirectURIError,
        "Адрес возврата после выхода (post_logout_redirect_uri) не зарегистрирован для этого сервиса.",
    ),
]


class EndSessionView(RPInitiatedLogoutView):
    """RP-initiated logout 1.0: ends the ID session (and revokes the account's tokens) and goes back to
    the client's registered ``post_logout_redirect_uri`` with its ``state``. With an ``id_token_hint``
    of the person signed in, no question is asked; otherwise «Выйти» / «Отмена»."""

    def get_request_application(self, id_token: Any, client_id: str | None) -> Any:
        if client_id:
            application = Application.objects.filter(client_id=client_id).first()
            if application is None:
                raise InvalidOIDCClientError()
            return application
        return id_token.application if id_token else None

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        status = int(response_kwargs.get("status", 200))
        error = context.get("error")
        application = context.get("application")
        client_name = ""
        if application is not None:
            journal = _journal_name(application.client_id)
            client_name = journal[0] if journal else application.name or application.client_id
        values: dict[str, Any] = {"form": context.get("form"), "client_name": client_name}
        if isinstance(error, LogoutDenied):
            values.update(title="Вы не вышли", message="Выход отменён: вы остались в этом браузере.")
        elif error is not None:
            message = next(
                (text for kind, text in LOGOUT_ERRORS if isinstance(error, kind)), "Запрос на выход неверен."
            )
            values.update(title="Не удалось выйти", message=message, advice=ADVICE)
        else:
            values.update(title=f"Выйти из {getattr(settings, 'PARTA_ID_NAME', 'ID')}?")
        return page(self.request, "oidc/logout.html", values, status=status)
