import ast
import dataclasses
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.core.canonical import canonical_json
from layan.logbook.bundle import Limits, bundle_verify
from layan.logbook.signing import public_key_pem, public_key_raw
from layan.logbook.standalone import verify as standalone
from layan.logbook.tests.test_bundle import CASES, FINGERPRINT, KEY, clean_bundle, members
from layan.logbook.tests.test_chain import NOW

SOURCE = Path(standalone.__file__)
L = 2**252 + 27742317777372353535851937790883648493

# RFC 8032, section 7.1: TEST 1, TEST 2 and TEST 3 (secret key, public key, message, signature).
RFC_8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def openssl_verifies(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def test_verifier_imports_only_the_standard_library() -> None:
    """verify.py runs anywhere Python runs: every import is a standard library module."""
    tree = ast.parse(SOURCE.read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            assert node.module is not None
            imported.add(node.module.split(".")[0])
    assert imported
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names


def test_bundle_carries_this_verifier() -> None:
    """Every bundle embeds verify.py byte for byte."""
    assert members(clean_bundle())["verify.py"] == SOURCE.read_bytes()


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC_8032)
def test_rfc_8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    """The RFC's test signatures verify, and cryptography produces the same ones."""
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert public_key_raw(key).hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature
    assert standalone.ed25519_verify(
        bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    )


def _signature_variants() -> list[tuple[str, bytes, bytes, bytes]]:
    message = canonical_json({"v": 1, "root": "ab" * 32, "size": 1042})
    public = public_key_raw(KEY)
    good = KEY.sign(message)
    s = int.from_bytes(good[32:], "little")
    other = public_key_raw(Ed25519PrivateKey.from_private_bytes(bytes(32)))
    return [
        ("valid", public, message, good),
        ("bit flipped in R", public, message, bytes([good[0] ^ 1]) + good[1:]),
        ("bit flipped in S", public, message, good[:40] + bytes([good[40] ^ 8]) + good[41:]),
        ("S plus the group order", public, message, good[:32] + (s + L).to_bytes(32, "little")),
        ("wrong key", other, message, good),
        ("other message", public, message + b" ", good),
        ("cut signature", public, message, good[:63]),
        ("empty signature", public, message, b""),
        ("key not on the curve", bytes([2]) + bytes(31), message, good),
    ]


@pytest.mark.parametrize(
    ("public", "message", "signature"),
    [pytest.param(*case[1:], id=case[0]) for case in _signature_variants()],
)
def test_signatures_are_judged_as_cryptography_judges_them(
    public: bytes, message: bytes, signature: bytes
) -> None:
    """The pure Python check accepts exactly what OpenSSL accepts, here and below."""
    assert standalone.ed25519_verify(public, message, signature) == openssl_verifies(
        public, message, signature
    )


def test_only_the_valid_variant_verifies() -> None:
    """Of all variants, only the untouched signature verifies."""
    verdicts = {
        name: standalone.ed25519_verify(public, message, signature)
        for name, public, message, signature in _signature_variants()
    }
    assert [name for name, verdict in verdicts.items() if verdict] == ["valid"]


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=300), st.integers(0, 511))
def test_random_keys_and_bit_flips(seed: bytes, message: bytes, bit: int) -> None:
    """Signatures by random keys verify; the same signature with one bit flipped does not."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = public_key_raw(key)
    signature = key.sign(message)
    assert standalone.ed25519_verify(public, message, signature)
    flipped = bytearray(signature)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert standalone.ed25519_verify(public, message, bytes(flipped)) == openssl_verifies(
        public, message, bytes(flipped)
    )


@pytest.mark.parametrize(
    ("pem", "expected"),
    [
        pytest.param(public_key_pem(KEY), public_key_raw(KEY), id="Ed25519"),
        pytest.param(
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", None, id="junk"
        ),
        pytest.param(b"not a key", None, id="no PEM"),
        pytest.param(
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            None,
            id="EC key",
        ),
    ],
)
def test_public_key_pem(pem: bytes, expected: bytes | None) -> None:
    """Only an Ed25519 SubjectPublicKeyInfo block yields a key."""
    assert standalone.public_key_from_pem(pem) == expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.characters(exclude_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON)
def test_canonical_json_agrees(value: Any) -> None:
    """verify.py's canonical JSON equals Layan's for every JSON value, or both refuse it."""
    try:
        expected: bytes | None = canonical_json(value)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            standalone.canonical_json(value)
    else:
        assert standalone.canonical_json(value) == expected


def _findings(problems: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    return sorted(problems, key=lambda item: (item[0], item[1] or 0))


@pytest.mark.parametrize(
    ("factory", "limits"),
    [pytest.param(factory, limits, id=name) for name, factory, _, limits in CASES],
)
def test_both_verifiers_agree(factory: Callable[[], bytes], limits: Limits | None) -> None:
    """verify.py finds the same problems at the same entries as bundle_verify."""
    data = factory()
    ours = bundle_verify(io.BytesIO(data), now=NOW, limits=limits, keep=1000)
    theirs = standalone.verify_bundle(
        io.BytesIO(data),
        now=NOW,
        limits=standalone.Limits(**dataclasses.asdict(limits)) if limits else None,
    )
    assert _findings([(p["code"], p["seq"]) for p in theirs["problems"]]) == _findings(
        [(p.code.value, p.seq) for p in ours.problems]
    )
    assert (theirs["usable"], theirs["errors"], theirs["head"]) == (
        ours.usable,
        ours.errors,
        ours.head,
    )


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run verify.py as a stranger would: isolated from Layan, from a bundle's copy."""
    return subprocess.run(
        [sys.executable, "-I", *arguments], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiket-1042.zip"
    path.write_bytes(clean_bundle())
    with zipfile.ZipFile(path) as archive:
        archive.extract("verify.py", tmp_path)
    return path


def test_command_line_clean_bundle(bundle_file: Path) -> None:
    """A clean bundle exits 0 and says it is intact."""
    result = _run(
        str(bundle_file.parent / "verify.py"),
        "--now",
        "2026-11-22T03:00:00.000000Z",
        str(bundle_file),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INTACT / UTUH" in result.stdout
    assert FINGERPRINT in result.stdout


def test_command_line_damaged_bundle(bundle_file: Path) -> None:
    """A damaged bundle exits 1 and names the problem; --json gives the report as data."""
    data = bundle_file.read_bytes()
    damaged = CASES[1][1]()
    bundle_file.write_bytes(damaged)
    result = _run(str(bundle_file.parent / "verify.py"), "--json", str(bundle_file))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert ("E01", 120) in [(p["code"], p["seq"]) for p in report["problems"]]
    assert data != damaged


def test_command_line_trusted_key(bundle_file: Path) -> None:
    """With the published fingerprint the key is trusted and no caveat is printed."""
    result = _run(
        str(bundle_file.parent / "verify.py"), "--trust", FINGERPRINT, "--json", str(bundle_file)
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["key_trusted"]
    assert report["problems"] == []


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 broken", b"%PDF-1.7"])
def test_command_line_unusable_input(bundle_file: Path, content: bytes) -> None:
    """Input that is no zip archive exits 2."""
    bundle_file.write_bytes(content)
    result = _run(str(bundle_file.parent / "verify.py"), str(bundle_file))
    assert result.returncode == 2
    assert "NOT INTACT" in result.stdout


def test_command_line_missing_file(tmp_path: Path) -> None:
    """A path that does not exist exits 2."""
    assert _run(str(SOURCE), str(tmp_path / "nothing.zip")).returncode == 2


def test_hash_in_report_matches_the_chain() -> None:
    """The head verify.py reports is the SHA-256 of the last body's canonical JSON."""
    report = standalone.verify_bundle(io.BytesIO(clean_bundle()), now=NOW)
    last = json.loads(members(clean_bundle())["entries.jsonl"].splitlines()[-1])
    assert report["head"] == hashlib.sha256(canonical_json(last["body"])).hexdigest()
