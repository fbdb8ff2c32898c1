"""Security basics: production settings (`kehu check --deploy` clean, secure cookies, HTTPS),
secrets only from the environment, API tokens stored hashed."""

import ast
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from kehu.api.models import ApiToken

KEHU = str(Path(sys.executable).parent / "kehu")
PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra) -> dict:
    """The environment of a production install: the variables README's "Running in production"
    names, and nothing of this machine's KEHU_* settings, nor what the browser tests set in
    this process (DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses)."""
    test_only = {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_") and k not in test_only}
    env.update(
        KEHU_ENV="production",
        KEHU_SECRET_KEY=secrets.token_urlsafe(50),
        KEHU_ALLOWED_HOSTS="crm.example.com",
        KEHU_CSRF_TRUSTED_ORIGINS="https://crm.example.com",
        KEHU_BEHIND_PROXY="1",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def run(argv, env) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({k: getattr(s, k, None) for k in (
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "ALLOWED_HOSTS")}))
"""


def settings_under(env) -> dict:
    result = run([PYTHON, "-c", SHOW_SETTINGS], {**env, "DJANGO_SETTINGS_MODULE": "kehu.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- production settings --------------------------------------------------------------------
def test_check_deploy_is_clean_with_the_production_settings():
    result = run([KEHU, "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


def test_check_deploy_warns_about_the_demo_settings():
    """The local demo's defaults are what the check is for: it says so."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    result = run([KEHU, "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    for issue in ("kehu.W001", "security.W004", "security.W008", "security.W012"):
        assert issue in result.stderr


def test_production_settings_turn_https_and_secure_cookies_on():
    env = production_env()
    s = settings_under(env)
    assert s["DEBUG"] is False
    assert s["SECRET_KEY"] == env["KEHU_SECRET_KEY"]
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    assert s["SESSION_COOKIE_HTTPONLY"] and s["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and s["SECURE_HSTS_PRELOAD"]
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] and s["X_FRAME_OPTIONS"] == "DENY"
    assert s["ALLOWED_HOSTS"] == ["crm.example.com"]
    # no proxy header trusted unless the proxy is declared
    assert settings_under(production_env(KEHU_BEHIND_PROXY=None))["SECURE_PROXY_SSL_HEADER"] is None


def test_each_https_setting_can_be_turned_off_for_plain_http():
    s = settings_under(production_env(KEHU_HTTPS="0"))
    assert not s["SECURE_SSL_REDIRECT"] and s["SECURE_HSTS_SECONDS"] == 0
    assert not s["SESSION_COOKIE_SECURE"] and not s["CSRF_COOKIE_SECURE"]


def test_the_local_demo_keeps_working_without_any_setting():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    s = settings_under(env)
    assert s["SECRET_KEY"].startswith("kehu-insecure")  # and kehu.W001 says so (above)
    assert not s["SECURE_SSL_REDIRECT"] and not s["SESSION_COOKIE_SECURE"]
    assert s["SESSION_COOKIE_HTTPONLY"]


# --- secrets only from the environment ------------------------------------------------------
@pytest.mark.parametrize(
    "env",
    [
        {"KEHU_ENV": "production"},
        {"KEHU_ENV": "production", "KEHU_SECRET_KEY": "   "},
        # not called production, but serving a real host name: a network, so a real key
        {"KEHU_ALLOWED_HOSTS": "crm.example.com"},
        {"KEHU_ALLOWED_HOSTS": "*"},
    ],
)
def test_kehu_refuses_to_start_without_a_secret_key_from_the_environment(env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    for argv in ([KEHU, "check"], [PYTHON, "-c", SHOW_SETTINGS]):
        result = run(argv, {**base, "DJANGO_SETTINGS_MODULE": "kehu.settings", **env})
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "KEHU_SECRET_KEY is not set" in result.stderr


def test_the_secret_key_and_its_fallbacks_come_from_the_environment():
    s = settings_under(production_env(KEHU_SECRET_KEY_FALLBACKS="old-one,older-one"))
    assert s["SECRET_KEY_FALLBACKS"] == ["old-one", "older-one"]


def test_no_secret_is_written_in_the_settings():
    """No setting named like a secret is a literal string, but the public demo key (used only
    by the local demo, and flagged by kehu.W001)."""
    tree = ast.parse((ROOT / "kehu" / "settings.py").read_text())
    literals = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                name = getattr(target, "id", "")
                if re.search(r"SECRET|PASSWORD|TOKEN|API_KEY|CREDENTIAL", name):
                    literals[name] = node.value.value
    assert literals == {"DEMO_SECRET_KEY": "kehu-insecure-demo-key-change-me"}


# --- cookies and HTTPS in production mode ---------------------------------------------------
@pytest.fixture
def production(settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return settings


def test_session_and_csrf_cookies_are_secure_httponly_samesite(people, production):
    from tests.conftest import PASSWORD

    client = Client(headers={"X-Forwarded-Proto": "https"})
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    response = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert response.status_code == 302
    session = client.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_plain_http_is_redirected_but_the_health_check_is_not(db, production):
    client = Client()
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200  # load balancers probe over HTTP
    # behind the proxy, its X-Forwarded-Proto says the visitor's connection was HTTPS
    proxied = Client(headers={"X-Forwarded-Proto": "https"}).get("/accounts/login/")
    assert proxied.status_code == 200


def test_pages_are_not_framed_and_not_sniffed(people, login):
    response = login(people.rep).get("/customers/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- API tokens are stored hashed -----------------------------------------------------------
def _everything_stored() -> list[str]:
    """Every text value of every row of every model: the whole database, as text."""
    values = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                values += [json.dumps(v, ensure_ascii=False) for v in row if v]
    return values


def test_an_api_token_is_stored_only_as_its_sha256(people, login):
    client = login(people.rep)
    response = client.post("/api/tokens/", {"name": "报表脚本"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"  # the one page that shows it
    plaintext = response.context["plaintext"]
    assert plaintext.startswith("kehu_") and len(plaintext) > 40
    assert plaintext in response.content.decode()  # shown once …
    token = ApiToken.objects.get(user=people.rep)
    assert token.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert len(token.prefix) < len(plaintext) // 3
    # … and nowhere in the database, whole or in part past the prefix
    secret_part = plaintext[len(token.prefix) :]
    assert not [v for v in _everything_stored() if secret_part[:12] in v]
    # the token page never shows it again
    assert secret_part not in client.get("/api/tokens/").content.decode()
    # it works, as its digest
    api = Client(headers={"Authorization": f"Bearer {plaintext}"})
    assert api.get("/api/v1/me").json()["username"] == "rep"
    # a digest is not a token
    wrong = Client(headers={"Authorization": f"Bearer {token.digest}"})
    assert wrong.get("/api/v1/me").status_code == 401
