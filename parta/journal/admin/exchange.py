"""The pages «Загрузка OneRoster» and «Выгрузка OneRoster» of the school administration.

Both sit under the schools' list (``/admin/journal/school/oneroster/…``). The import takes a .zip of
OneRoster 1.2 CSV files, checks all of it and writes everything or nothing, exactly as
``parta import`` does; the export sends the whole journal as such a .zip. A region's files of
hundreds of megabytes belong to the command line (``docs/oneroster.md``), not to a browser upload.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils import timezone

from parta.journal.oneroster import OneRosterImportError, oneroster_export, oneroster_import

IMPORT_TITLE = "Загрузка OneRoster"
EXPORT_TITLE = "Выгрузка OneRoster"
MAX_UPLOAD_MB = 200


class ImportForm(forms.Form):
    archive = forms.FileField(
        label="ZIP-архив OneRoster 1.2",
        help_text=(
            "Архив с файлами manifest.csv, orgs.csv, academicSessions.csv, classes.csv, courses.csv, "
            "users.csv, enrollments.csv и demographics.csv — например, выгрузка из другого журнала."
        ),
    )
    check_only = forms.BooleanField(
        label="Только проверить, ничего не записывая",
        required=False,
        initial=True,
    )

    def clean_archive(self) -> Any:
        archive = self.cleaned_data["archive"]
        if archive.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                f"Файл больше {MAX_UPLOAD_MB} МБ. Такие файлы загружайте командой «parta import»."
            )
        if not zipfile.is_zipfile(archive):
            raise forms.ValidationError(
                "Это не ZIP-архив. Сожмите CSV-файлы OneRoster в один .zip и выберите его."
            )
        archive.seek(0)
        return archive


def import_view(model_admin: ModelAdmin[Any], request: HttpRequest) -> HttpResponse:
    """Upload a .zip, check it, and (unless only checking) import it in one transaction."""
    if not request.user.is_superuser:
        # An import may change every school of the region: only the region's administrator may.
        raise PermissionDenied
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": IMPORT_TITLE,
        "opts": model_admin.opts,
        "max_upload_mb": MAX_UPLOAD_MB,
    }
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        check_only = form.cleaned_data["check_only"]
        with tempfile.TemporaryDirectory(prefix="parta-oneroster-") as folder:
            source = Path(folder) / "roster.zip"
            with source.open("wb") as out:
                for chunk in form.cleaned_data["archive"].chunks():
                    out.write(chunk)
            try:
                report = oneroster_import(source=source, dry_run=check_only)
            except OneRosterImportError as error:
                context.update(refused=error.summary, problems=error.lines())
            else:
                context.update(report_lines=report.lines(), checked_only=check_only)
                if not check_only:
                    messages.success(request, f"Импорт завершён. Изменено записей: {report.changed}.")
    context["form"] = form
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/journal/school/oneroster_import.html", context)


def export_view(model_admin: ModelAdmin[Any], request: HttpRequest) -> HttpResponseBase:
    """Send the whole journal as a OneRoster 1.2 .zip."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method != "POST":
        context = {
            **model_admin.admin_site.each_context(request),
            "title": EXPORT_TITLE,
            "opts": model_admin.opts,
        }
        request.current_app = model_admin.admin_site.name
        return TemplateResponse(request, "admin/journal/school/oneroster_export.html", context)
    with tempfile.TemporaryDirectory(prefix="parta-oneroster-") as folder:
        target = Path(folder) / "roster.zip"
        oneroster_export(target=target)
        # Opened before the folder goes: the open file stays readable until FileResponse closes it.
        handle = target.open("rb")
    name = f"oneroster-{timezone.localdate():%Y-%m-%d}.zip"
    # FileResponse closes the file when it has been sent, and a closed temporary file is deleted.
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")
