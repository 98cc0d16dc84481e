from django.contrib import admin
from django.urls import include, path

from parta.core.health import healthz
from parta.identity.views.outbox import outbox
from parta.messenger.api import api as messenger_api_v1

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("dev/outbox/", outbox, name="dev-outbox"),
    path("id/", include("parta.identity.oidc.urls")),
    path("id/", include("parta.identity.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", messenger_api_v1.urls),
    path("", include("parta.messenger.urls")),
]
