"""Logging in: pages need it, and guessing is throttled per username and per address."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from kehu.accounts.models import LoginFailure
from tests.conftest import PASSWORD

THROTTLED = "登录失败次数过多"


def attempt(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_pages_need_a_login(db):
    response = Client().get("/customers/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_right_password_logs_in(people):
    client = Client()
    assert attempt(client, "rep", PASSWORD).status_code == 302
    assert logged_in(client)


def test_a_wrong_password_is_refused_with_a_message(people):
    client = Client()
    response = attempt(client, "rep", "wrong")
    assert response.status_code == 200 and not logged_in(client)
    assert "请输入一个正确的" in response.content.decode()
    assert THROTTLED not in response.content.decode()


def test_repeated_failures_lock_the_username_even_with_the_right_password(people, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        attempt(client, "rep", "wrong")
    response = attempt(client, "rep", PASSWORD)
    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert not logged_in(client)
    # another person in the office is not locked out by it
    other = Client()
    assert attempt(other, "rep3", PASSWORD).status_code == 302


def test_failures_below_the_limit_then_success_start_the_count_again(people, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        attempt(client, "rep", "wrong")
    assert attempt(client, "rep", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        attempt(client, "rep", "wrong")
    assert attempt(client, "rep", PASSWORD).status_code == 302


def test_the_username_is_counted_whatever_its_case(people, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    attempt(client, "REP", "wrong")
    attempt(client, "Rep", "wrong")
    assert THROTTLED in attempt(client, "rep", PASSWORD).content.decode()


def test_old_failures_fall_out_of_the_window(people, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    attempt(client, "rep", "wrong")
    attempt(client, "rep", "wrong")
    LoginFailure.objects.update(
        at=timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 60)
    )
    assert attempt(client, "rep", PASSWORD).status_code == 302


def test_one_address_guessing_many_usernames_is_blocked(people, settings):
    settings.LOGIN_FAILURE_LIMIT = 2  # an address gets four times the room of a username
    client = Client()
    for i in range(8):
        attempt(client, f"guess{i}", "wrong", REMOTE_ADDR="10.0.0.9")
    response = attempt(client, "rep", PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert THROTTLED in response.content.decode() and not logged_in(client)
    assert attempt(Client(), "rep", PASSWORD, REMOTE_ADDR="10.0.0.10").status_code == 302


def test_an_inactive_user_cannot_log_in(people):
    people.rep.is_active = False
    people.rep.save()
    client = Client()
    attempt(client, "rep", PASSWORD)
    assert not logged_in(client)


def test_behind_a_proxy_failures_count_per_client_not_per_proxy(people, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.BEHIND_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for i in range(8):  # one client guessing, its forged entry first: the proxy's last counts
        attempt(
            Client(), f"guess{i}", "wrong", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", **proxy
        )
    blocked = attempt(Client(), "rep", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert THROTTLED in blocked.content.decode()
    # another client behind the same proxy logs in; a garbled header falls back to the proxy
    assert (
        attempt(Client(), "rep", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code
        == 302
    )
    assert (
        attempt(Client(), "rep2", PASSWORD, HTTP_X_FORWARDED_FOR="not-an-ip", **proxy).status_code
        == 302
    )
