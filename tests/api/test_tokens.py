"""Personal API tokens: only their hash is stored, the token is shown once, revoking (or an
unknown token) is a 401."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client

from kehu.api import services
from kehu.api.models import ApiToken


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_only_the_hash_of_a_token_is_stored(people):
    token, plaintext = services.create_token(people.rep, "ERP 同步")
    assert token.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext.startswith(token.prefix)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert plaintext not in str(stored)


def test_a_token_authenticates_its_owner_and_records_its_use(people):
    token, plaintext = services.create_token(people.rep, "脚本")
    response = bearer(plaintext).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "rep"
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer kehu_nope", "Bearer ", "Basic cmVwOnB3", "kehu_x"])
def test_unknown_or_malformed_tokens_get_401(people, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_a_revoked_token_gets_401(people):
    token, plaintext = services.create_token(people.rep, "旧脚本")
    assert bearer(plaintext).get("/api/v1/me").status_code == 200
    services.revoke_token(people.rep, token)
    assert bearer(plaintext).get("/api/v1/me").status_code == 401


def test_an_inactive_users_token_gets_401(people):
    _token, plaintext = services.create_token(people.rep, "离职")
    people.rep.is_active = False
    people.rep.save()
    assert bearer(plaintext).get("/api/v1/me").status_code == 401


def test_nobody_revokes_someone_elses_token(people):
    token, plaintext = services.create_token(people.rep, "我的")
    with pytest.raises(Http404):
        services.revoke_token(people.director, token)
    assert bearer(plaintext).get("/api/v1/me").status_code == 200


def test_a_token_needs_a_name(people):
    with pytest.raises(ValidationError) as exc:
        services.create_token(people.rep, "  ")
    assert "name" in exc.value.message_dict


def test_tokens_page_shows_a_new_token_once_and_revokes(people, login):
    client = login(people.viewer)  # viewers read through the API too
    assert client.get("/api/tokens/").status_code == 200
    response = client.post("/api/tokens/", {"name": "报表"})
    assert response.status_code == 200
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert plaintext not in client.get("/api/tokens/").content.decode()
    assert bearer(plaintext).get("/api/v1/customers").status_code == 200
    token = ApiToken.objects.get(user=people.viewer)
    response = client.post(f"/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert bearer(plaintext).get("/api/v1/customers").status_code == 401


def test_tokens_page_lists_only_ones_own_tokens(people, login):
    theirs, _ = services.create_token(people.rep2, "赵磊的")
    client = login(people.rep)
    assert "赵磊的" not in client.get("/api/tokens/").content.decode()
    assert client.post(f"/api/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_tokens_page_needs_a_login():
    response = Client().get("/api/tokens/")
    assert response.status_code == 302


def test_the_user_menu_links_the_tokens_page(people, login):
    assert 'href="/api/tokens/"' in login(people.rep).get("/customers/").content.decode()


def test_docs_and_openapi_document_are_served(people):
    assert Client().get("/api/docs").status_code == 200
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/customers" in schema["paths"]
