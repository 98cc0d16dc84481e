"""The ID's signing keys: from the environment, from a file, or generated once into var/."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk

from parta.identity.oidc.keys import previous_key_pems, private_key_pem


def pem_of(key: jwk.JWK) -> str:
    return key.export_to_pem(private_key=True, password=None).decode()


def test_without_a_key_one_is_generated_once_readable_by_the_owner_only(tmp_path: Path) -> None:
    generated = tmp_path / "var" / "oidc-private-key.pem"
    first = private_key_pem(pem="", path="", generated=generated)
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600
    assert jwk.JWK.from_pem(first.encode()).get("kty") == "RSA"
    assert private_key_pem(pem="", path="", generated=generated) == first  # the next start reuses it
    assert list(generated.parent.iterdir()) == [generated]  # no temporary file left behind


def test_a_key_from_the_environment_or_a_file_wins(tmp_path: Path) -> None:
    pem = pem_of(jwk.JWK.generate(kty="RSA", size=2048))
    generated = tmp_path / "oidc-private-key.pem"
    assert private_key_pem(pem=pem, path="", generated=generated) == pem
    file = tmp_path / "key.pem"
    file.write_text(pem)
    assert private_key_pem(pem="", path=str(file), generated=generated) == pem
    assert not generated.exists()
    assert previous_key_pems(f" {file} ,") == [pem]
    assert previous_key_pems("") == []


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("not a key", "не читается"),
        (pem_of(jwk.JWK.generate(kty="EC", crv="P-256")), "закрытым ключом RSA"),
        (pem_of(jwk.JWK.generate(kty="RSA", size=1024)), "слишком короткий"),
    ],
)
def test_a_wrong_key_stops_the_start_with_a_message_in_russian(
    tmp_path: Path, pem: str, message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        private_key_pem(pem=pem, path="", generated=tmp_path / "k.pem")


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="Не удалось прочитать ключ"):
        private_key_pem(pem="", path=str(tmp_path / "absent.pem"), generated=tmp_path / "k.pem")
