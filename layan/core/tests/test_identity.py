import pytest

from layan.core.identity import InvalidIdentity, identity_normalise


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("email", "Rina.Kusuma@Contoh.CO.ID", "rina.kusuma@contoh.co.id"),
        ("email", "  <budi@toko.id> ", "budi@toko.id"),
        # Full-width look-alikes fold to ASCII, so they cannot make a second identity.
        ("email", "ｒｉｎａ@contoh.co.id", "rina@contoh.co.id"),
        ("phone", "0812-3456-7890", "+6281234567890"),
        ("phone", "62 812 3456 7890", "+6281234567890"),
        ("phone", "+62 (812) 3456 7890", "+6281234567890"),
        ("phone", "0062 812 3456 7890", "+6281234567890"),
        ("phone", "+31 20 123 4567", "+31201234567"),
        ("whatsapp", "0812 3456 7890", "6281234567890"),
        ("telegram", " 123456789 ", "123456789"),
    ],
)
def test_identity_normalise(kind: str, raw: str, expected: str) -> None:
    """Addresses are normalised so the same person is found again whatever they typed."""
    assert identity_normalise(kind, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("email", "bukan-email"),
        ("email", "a@b"),
        ("email", "dua@@contoh.id"),
        ("email", "spasi di@contoh.id"),
        ("phone", "12"),
        ("phone", "+0 812"),
        ("telegram", ""),
        ("telegram", "dua kata"),
        ("fax", "123"),
    ],
)
def test_identity_normalise_rejects_nonsense(kind: str, raw: str) -> None:
    with pytest.raises(InvalidIdentity):
        identity_normalise(kind, raw)
