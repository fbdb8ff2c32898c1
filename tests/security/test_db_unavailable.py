"""The database briefly unavailable: requests fail cleanly with a friendly 503 page (JSON under
/api/), with Retry-After, logged; and work resumes as soon as it is back — on PostgreSQL a
connection the server dropped is replaced at the next request (CONN_HEALTH_CHECKS)."""

import io
import logging
from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.test.client import RequestFactory

from kehu.api import services as api_services

FRIENDLY = "Back in a moment"


def database_down(error=OperationalError):
    """Every new cursor fails as with the server gone (connection refused)."""
    return mock.patch.object(
        BaseDatabaseWrapper,
        "ensure_connection",
        side_effect=error("could not connect to server: Connection refused"),
    )


def browser(user) -> Client:
    client = Client(raise_request_exception=False)  # as in production: no exception re-raised
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_is_a_friendly_503_and_work_resumes(people, book, error, caplog):
    client = browser(people.rep)
    with database_down(error), caplog.at_level(logging.ERROR, logger="kehu.db"):
        response = client.get("/customers/")
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert FRIENDLY in html and 'data-testid="database-unavailable"' in html
    assert "Traceback" not in html and "Connection refused" not in html  # no internals shown
    assert any("Database unavailable" in r.getMessage() for r in caplog.records)
    # the database is back: the very next request works, nothing to restart
    response = client.get("/customers/")
    assert response.status_code == 200
    assert book["rep"].name in response.content.decode()


def test_the_page_speaks_chinese_by_default(people):
    client = browser(people.rep)
    del client.cookies["django_language"]
    with database_down():
        response = client.get("/followups/today/")
    assert response.status_code == 503
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_an_error_inside_the_view_is_a_503_too(db):
    """Anonymous, nothing reads the database before the login view does (throttling)."""
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    with database_down():
        response = client.post("/accounts/login/", {"username": "rep", "password": "x"})
    assert response.status_code == 503
    assert FRIENDLY in response.content.decode()


def test_a_write_is_refused_cleanly_and_can_be_sent_again(people, book):
    client = browser(people.rep)
    with database_down():
        response = client.post("/api/tokens/", {"name": "while down"})
    assert response.status_code == 503
    assert not people.rep.api_tokens.exists()
    assert client.post("/api/tokens/", {"name": "again"}).status_code == 200
    assert people.rep.api_tokens.filter(name="again").exists()


def test_the_api_answers_json_503(people, book):
    _token, plaintext = api_services.create_token(people.rep, "tests")
    client = Client(headers={"Authorization": f"Bearer {plaintext}"}, raise_request_exception=False)
    with database_down():
        response = client.get("/api/v1/customers")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unavailable" and response.json()["message"]
    assert response["Retry-After"].isdigit()
    assert client.get("/api/v1/customers").status_code == 200


def test_the_health_check_reports_the_database(db):
    client = Client()
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "error"
    assert client.get("/healthz").json()["status"] == "ok"


def test_the_503_page_needs_nothing_from_the_database(db, rf, django_assert_num_queries):
    from kehu.core.middleware import unavailable_response

    request = rf.get("/customers/?q=<b>")
    with django_assert_num_queries(0):
        response = unavailable_response(request, OperationalError("down"))
    html = response.content.decode()
    assert response.status_code == 503
    assert 'href="/customers/?q=%3Cb%3E"' in html and "<b>" not in html  # "try again" link


# --- PostgreSQL: a connection the server dropped ---------------------------------------------
def _wsgi_get(path: str, **headers) -> int:
    """A request through the real WSGI handler: request_started/finished run
    close_old_connections as under gunicorn (the test client switches that off)."""
    environ = RequestFactory()._base_environ(
        PATH_INFO=path, REQUEST_METHOD="GET", **{"wsgi.input": io.BytesIO()}, **headers
    )
    status = []
    response = WSGIHandler()(environ, lambda s, h: status.append(s))
    b"".join(response)
    response.close()
    return int(status[0].split()[0])


def _drop_connection():
    """The server ends Django's connection (a restart, a failover, an idle timeout)."""
    import psycopg

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_postgresql_replaces_a_dropped_connection(people, settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (DATABASE_URL=postgres://…)")
    from django.conf import settings as live

    assert live.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert live.DATABASES["default"]["CONN_MAX_AGE"] > 0
    _token, plaintext = api_services.create_token(people.rep, "tests")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert _wsgi_get("/api/v1/me", **bearer) == 200
    # with health checks: the first request after the drop already works
    _drop_connection()
    assert _wsgi_get("/api/v1/me", **bearer) == 200
    # without them, that request would fail (cleanly: 503) and only the next one work
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    connection.close()
    _drop_connection()
    assert _wsgi_get("/api/v1/me", **bearer) == 503
    assert _wsgi_get("/api/v1/me", **bearer) == 200
