"""Production settings hold the floor of SECURITY.md; checked in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_CONTENT_TYPE_NOSNIFF": settings.SECURE_CONTENT_TYPE_NOSNIFF,
    "SECURE_CSP": {k: [str(v) for v in vs] for k, vs in settings.SECURE_CSP.items()},
    "X_FRAME_OPTIONS": settings.X_FRAME_OPTIONS,
    "DATA_UPLOAD_MAX_NUMBER_FILES": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
    "FILE_UPLOAD_PERMISSIONS": settings.FILE_UPLOAD_PERMISSIONS,
    "SESSION_SERIALIZER": settings.SESSION_SERIALIZER,
    "PASSWORD_HASHERS": settings.PASSWORD_HASHERS,
    "DEBUG": settings.DEBUG,
    "MIDDLEWARE": settings.MIDDLEWARE,
}))
"""


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LAYAN_", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC"))
    }
    env.update(
        LAYAN_MODE="production",
        SECRET_KEY="x" * 60 + "production-secret-for-tests",
        ALLOWED_HOSTS="layan.example.co.id",
        LAYAN_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="layan.settings",
    )
    env.update(extra)
    return env


def test_production_settings_hold_the_floor(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    values = json.loads(result.stdout)
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert "<CSP_NONCE_SENTINEL>" in values["SECURE_CSP"]["script-src"]
    assert "'unsafe-inline'" not in values["SECURE_CSP"]["script-src"]
    assert values["SECURE_CSP"]["frame-ancestors"] == ["'none'"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["DATA_UPLOAD_MAX_NUMBER_FILES"] <= 100
    assert values["FILE_UPLOAD_PERMISSIONS"] == 0o640
    assert values["SESSION_SERIALIZER"].endswith("JSONSerializer")
    assert values["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")
    assert values["DEBUG"] is False
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in values["MIDDLEWARE"]


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_embedded_mode_generates_and_keeps_its_secret(tmp_path: Path) -> None:
    env = production_env(tmp_path, LAYAN_MODE="embedded")
    del env["SECRET_KEY"]
    probe = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.SECRET_KEY)"
    )
    first = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    second = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "layan", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
