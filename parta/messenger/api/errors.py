"""API v1's errors: every refusal is JSON ``{"detail": "<Russian sentence>"}`` (422 adds ``errors``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from parta.messenger.actions import MessengerError


class ApiError(Exception):
    """A refusal with its HTTP status: ``raise ApiError(409, "…")``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class NotFoundError(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(404, detail)


class ConflictError(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(409, detail)


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[dict[str, Any]]


def _location(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
    return ".".join(loc) or "запрос"


def install(api: NinjaAPI) -> None:
    """Answer every error of ``api`` as JSON with a Russian ``detail``."""

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            {"detail": "Нужен действующий токен API журнала: заголовок «Authorization: Bearer <токен>»."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="api-v1"'
        return response

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = sorted({_location(error) for error in exc.errors})
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": e.get("type", ""),
            }
            for e in exc.errors
        ]
        detail = "Запрос не разобран: проверьте поля " + ", ".join(f"«{f}»" for f in fields) + "."
        return api.create_response(request, {"detail": detail, "errors": errors}, status=422)

    @api.exception_handler(ApiError)
    def _refused(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.detail}, status=exc.status)

    @api.exception_handler(MessengerError)
    def _messenger(request: HttpRequest, exc: MessengerError) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=400)

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return api.create_response(
            request, {"detail": f"Запрос больше {limit} МБ: разделите пакет на несколько."}, status=413
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": "Не найдено."}, status=404)

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and "parse" in str(exc):
            detail = "Тело запроса не разобрано: ожидается JSON в UTF-8."
            return api.create_response(request, {"detail": detail}, status=400)
        detail = {
            400: "Неверный запрос.",
            405: "Метод не поддерживается.",
            413: "Запрос слишком большой.",
        }.get(exc.status_code, "Запрос отклонён.")
        return api.create_response(request, {"detail": detail}, status=exc.status_code)
