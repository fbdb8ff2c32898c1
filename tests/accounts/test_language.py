"""Chinese by default for everyone; a user's choice of language follows them."""

from django.test import Client

from kehu.accounts.models import User
from tests.conftest import PASSWORD


def test_login_page_is_chinese_by_default_even_for_an_english_browser(db):
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in response.content.decode()


def test_switching_language_sets_the_cookie_and_is_remembered_on_the_user(people, login):
    client = login(people.rep)
    response = client.post("/accounts/language/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert response.cookies["django_language"].value == "en"
    people.rep.refresh_from_db()
    assert people.rep.language == "en"
    assert "No customers match" in client.get("/customers/").content.decode()


def test_switching_back_to_chinese(people, login):
    client = login(people.rep)
    client.post("/accounts/language/", {"language": "en"})
    client.post("/accounts/language/", {"language": "zh-hans"})
    people.rep.refresh_from_db()
    assert people.rep.language == "zh-hans"
    assert "客户" in client.get("/customers/").content.decode()


def test_a_successful_login_brings_back_the_users_language(people):
    User.objects.filter(pk=people.rep.pk).update(language="en")
    client = Client()
    response = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"
    assert "Customers" in client.get("/customers/").content.decode()


def test_an_unknown_language_changes_nothing(people, login):
    client = login(people.rep)
    response = client.post("/accounts/language/", {"language": "fr"})
    assert "django_language" not in response.cookies
    people.rep.refresh_from_db()
    assert people.rep.language == "zh-hans"


def test_the_login_page_can_be_switched_before_logging_in(db):
    client = Client()
    client.post("/accounts/language/", {"language": "en", "next": "/accounts/login/"})
    assert "Log in" in client.get("/accounts/login/").content.decode()


def test_language_switch_does_not_redirect_off_site(people, login):
    response = login(people.rep).post(
        "/accounts/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_language_switch_needs_a_post(people, login):
    assert login(people.rep).get("/accounts/language/", {"language": "en"}).status_code == 405
