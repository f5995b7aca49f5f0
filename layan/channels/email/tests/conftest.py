import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[4]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def shared_mail() -> Path:
    """The shared third-party mail corpus; tests that need it skip when it is absent."""
    root = Path(os.environ.get("LAYAN_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
    mail = root / "mail"
    if not mail.is_dir():
        pytest.skip(f"shared mail corpus not found at {mail}")
    return mail
