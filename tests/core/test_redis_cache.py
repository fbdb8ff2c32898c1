"""KEHU_REDIS_URL puts the cache (and, through cached_db, the sessions) in Redis, so app
servers on several machines share them; without it the file cache and database sessions stay.
Needs a Redis server at 127.0.0.1:6379 (skipped when there is none)."""

import os
import subprocess
import sys
import uuid

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import caches

REDIS_URL = os.environ.get("KEHU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis server at {REDIS_URL}")
    return REDIS_URL


def _settings_with(env: dict) -> str:
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.cache import cache\n"
        "print(settings.CACHES['default']['BACKEND'])\n"
        "print(settings.SESSION_ENGINE)\n"
        "if 'redis' in settings.CACHES['default']['BACKEND']:\n"
        "    key = 'kehu-test-' + __import__('uuid').uuid4().hex\n"
        "    cache.set(key, {'万元': 1}, 30)\n"
        "    print(cache.get(key))\n"
        "    cache.delete(key)\n"
    )
    clean = {k: v for k, v in os.environ.items() if k != "KEHU_REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "kehu.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_setting_switches_cache_and_sessions_to_redis(redis_url, tmp_path):
    out = _settings_with({"KEHU_REDIS_URL": redis_url, "KEHU_VAR_DIR": str(tmp_path)})
    assert out.splitlines() == [
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.cached_db",
        "{'万元': 1}",
    ]


def test_without_it_the_file_cache_and_database_sessions_stay(tmp_path):
    out = _settings_with({"KEHU_VAR_DIR": str(tmp_path)})
    assert out.splitlines() == [
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.contrib.sessions.backends.db",
    ]


@pytest.mark.django_db
def test_sessions_and_dashboard_figures_live_in_redis(redis_url, settings):
    prefix = f"kehu-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    cache = caches["default"]
    session = SessionStore()
    try:
        cache.set("figures", {"won": "12.50"}, 60)
        assert cache.get("figures") == {"won": "12.50"}
        assert cache.add("n", 1)
        assert cache.incr("n") == 2

        session["_auth_user_id"] = "7"
        session.save()
        key = session.session_key
        assert cache.get(session.cache_key) == {"_auth_user_id": "7"}  # read from Redis
        assert SessionStore(session_key=key).load() == {"_auth_user_id": "7"}
        cache.delete(session.cache_key)  # Redis lost it: the database copy still logs them in
        assert SessionStore(session_key=key).load() == {"_auth_user_id": "7"}
    finally:
        # never cache.clear(): RedisCache.clear() flushes the whole Redis database
        cache.delete_many(["figures", "n", session.cache_key])
