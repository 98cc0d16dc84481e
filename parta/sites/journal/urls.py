from django.contrib import admin
from django.urls import include, path

from parta.core.health import healthz

admin.site.site_header = "Администрирование журнала"
admin.site.site_title = "Журнал"
admin.site.index_title = "Школа"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("integration/", include("parta.integration.urls")),  # «Интеграция со Сферум»
    path("", include("parta.journal.urls")),
]
