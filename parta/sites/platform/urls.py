from django.contrib import admin
from django.urls import include, path

from parta.core.health import healthz
from parta.identity.views.outbox import outbox

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("dev/outbox/", outbox, name="dev-outbox"),
    path("id/", include("parta.identity.oidc.urls")),
    path("id/", include("parta.identity.urls")),
    path("admin/", admin.site.urls),
    path("", include("parta.messenger.urls")),
]
