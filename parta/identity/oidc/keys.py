"""The ID's RS256 signing keys, read by the platform's settings (so nothing here touches the database).

The active key comes from ``PARTA_OIDC_PRIVATE_KEY`` (PEM text) or ``PARTA_OIDC_PRIVATE_KEY_FILE``; when
neither is set, one is generated once into ``PARTA_VAR_DIR/oidc-private-key.pem`` (mode 0600), so the
demo needs nothing by hand. Keys that signed tokens still in circulation stay published in the JWKS
while they are listed in ``PARTA_OIDC_PREVIOUS_KEY_FILES`` (rotation: docs/identity.md).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk
from jwcrypto.common import base64url_decode

GENERATED_KEY_NAME = "oidc-private-key.pem"
MIN_RSA_BITS = 2048


def _checked(pem: str, *, source: str) -> str:
    """``pem`` if it is an RSA private key of at least 2048 bits, else a Russian configuration error."""
    try:
        key = jwk.JWK.from_pem(pem.encode())
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"Ключ подписи OpenID Connect ({source}) не читается как закрытый ключ в формате PEM: {error}"
        ) from error
    if key.get("kty") != "RSA" or not key.has_private:
        raise ImproperlyConfigured(
            f"Ключ подписи OpenID Connect ({source}) должен быть закрытым ключом RSA (для RS256)."
        )
    bits = len(base64url_decode(key.get("n"))) * 8
    if bits < MIN_RSA_BITS:
        raise ImproperlyConfigured(
            f"Ключ подписи OpenID Connect ({source}) слишком короткий: {bits} бит, нужно не меньше "
            f"{MIN_RSA_BITS}."
        )
    return pem


def _read(path: Path, *, source: str) -> str:
    try:
        return _checked(path.read_text(encoding="ascii"), source=f"{source}={path}")
    except OSError as error:
        raise ImproperlyConfigured(
            f"Не удалось прочитать ключ подписи OpenID Connect из {path} ({source}): {error.strerror}."
        ) from error


def _generated(path: Path) -> str:
    """The key in ``path``, generating it first if the file does not exist yet.

    Two processes starting at once (the server and the worker of ``make demo``) must end with one key:
    the new key is written to a private temporary file and hard-linked into place, which fails for the
    one that comes second; it then reads the winner's key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = jwk.JWK.generate(kty="RSA", size=MIN_RSA_BITS).export_to_pem(private_key=True, password=None)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process generated it first: everyone uses that one
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return _read(path, source="PARTA_VAR_DIR")


def private_key_pem(*, pem: str, path: str, generated: Path) -> str:
    """The active signing key: PEM text, else the file at ``path``, else the generated ``generated``."""
    if pem.strip():
        return _checked(pem, source="PARTA_OIDC_PRIVATE_KEY")
    if path.strip():
        return _read(Path(path.strip()), source="PARTA_OIDC_PRIVATE_KEY_FILE")
    return _generated(generated)


def previous_key_pems(paths: str) -> list[str]:
    """Keys still published in the JWKS after a rotation: comma-separated file paths."""
    return [
        _read(Path(part.strip()), source="PARTA_OIDC_PREVIOUS_KEY_FILES")
        for part in paths.split(",")
        if part.strip()
    ]
