from django.test import Client

from kehu.accounts.models import User
from tests.conftest import PASSWORD


def test_login_page_is_chinese_by_default_even_for_an_english_browser(db):
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in response.content.decode()


def test_pages_need_a_login(db):
    response = Client().get("/customers/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_repeated_failures_lock_the_username_even_with_the_right_password(people, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.post("/accounts/login/", {"username": "rep", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_sets_the_users_language(people):
    User.objects.filter(pk=people.rep.pk).update(language="en")
    client = Client()
    response = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"
    assert "Customers" in client.get("/customers/").content.decode()


def test_switching_language_is_remembered_on_the_user(people, login):
    client = login(people.rep)
    response = client.post("/accounts/language/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    people.rep.refresh_from_db()
    assert people.rep.language == "en"
    assert "No customers match" in client.get("/customers/").content.decode()


def test_language_switch_does_not_redirect_off_site(people, login):
    response = login(people.rep).post(
        "/accounts/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_health_endpoint_answers_without_login(db):
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
