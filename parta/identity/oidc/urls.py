"""OpenID Connect endpoints under ``/id/``: discovery, JWKS, authorize, token, userinfo, revoke, logout.

The paths below the issuer (``PARTA_OIDC_ISSUER``, ``…/id``) are what discovery publishes; RP-initiated
logout is ``end-session/`` because ``/id/logout/`` is the ID's own «Выйти».
"""

from django.urls import URLPattern, URLResolver, path
from oauth2_provider import views as dot

from parta.identity.oidc import views

app_name = "oidc"
urlpatterns: list[URLPattern | URLResolver] = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path(".well-known/jwks.json", dot.JwksInfoView.as_view(), name="jwks"),
    path("authorize/", views.AuthorizeView.as_view(), name="authorize"),
    path("token/", dot.TokenView.as_view(), name="token"),
    path("userinfo/", dot.UserInfoView.as_view(), name="userinfo"),
    path("revoke/", dot.RevokeTokenView.as_view(), name="revoke"),
    path("end-session/", views.EndSessionView.as_view(), name="end-session"),
]
