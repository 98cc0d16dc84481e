"""The messenger's settings with their defaults (docs/messenger.md, «Settings»).

Read through these functions, never at import time, so tests may change them with ``settings``.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_ATTACHMENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def platform_name() -> str:
    return str(getattr(settings, "PARTA_PLATFORM_NAME", "") or "Сферум")


def messenger_name() -> str:
    return str(getattr(settings, "PARTA_MESSENGER_NAME", "") or platform_name())


def students_start_direct() -> bool:
    """Whether a profile that is only a student in the common organizations may open a direct chat."""
    return bool(getattr(settings, "PARTA_MESSENGER_STUDENTS_START_DIRECT", True))


def message_max_length() -> int:
    return int(getattr(settings, "PARTA_MESSENGER_MESSAGE_MAX_LENGTH", 4096))


def page_size() -> int:
    return int(getattr(settings, "PARTA_MESSENGER_PAGE_SIZE", 50))


def catchup_limit() -> int:
    """How many missed messages of one chat a reconnecting socket is sent; past it the page reloads."""
    return int(getattr(settings, "PARTA_MESSENGER_CATCHUP_LIMIT", 500))


def attachment_max_bytes() -> int:
    return int(getattr(settings, "PARTA_MESSENGER_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def attachment_types() -> dict[str, str]:
    """Allowed file extensions (lowercase, no dot) → the content type the file is served with."""
    configured = getattr(settings, "PARTA_MESSENGER_ATTACHMENT_TYPES", None) or DEFAULT_ATTACHMENT_TYPES
    return {
        str(extension).strip().lower().lstrip("."): str(content_type).strip()
        for extension, content_type in dict(configured).items()
    }
