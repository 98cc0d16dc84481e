"""OpenID Connect endpoints under ``/id/``: discovery, JWKS, authorize, token, userinfo, revoke, logout."""

from django.urls import URLPattern, URLResolver

app_name = "oidc"
urlpatterns: list[URLPattern | URLResolver] = []
