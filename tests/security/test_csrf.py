"""CSRF on every form: every URL the resolver knows refuses a logged-in POST without the CSRF
token, except the JSON API under /api/v1/, which checks it itself for cookie sessions and
needs none with a bearer token (a browser never sends that header cross-site on its own).
Every form the main pages render carries the token, and every htmx write (hx-post …) sends it
in the body's hx-headers."""

import re
from html.parser import HTMLParser

import pytest
from django.http import HttpResponseForbidden
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.utils.regex_helper import normalize

from kehu.api import services as api_services
from kehu.customers.models import Customer
from kehu.followups import services as followups
from kehu.pipeline import services as pipeline

API = "api/v1/"
REFUSED = b"csrf-refused"


def csrf_refused(request, reason=""):
    """The CSRF failure view of these tests: tells a CSRF refusal from a view's own 403."""
    return HttpResponseForbidden(REFUSED)


@pytest.fixture(autouse=True)
def _marked_failure_view(settings):
    settings.CSRF_FAILURE_VIEW = f"{__name__}.csrf_refused"


# --- every URL ------------------------------------------------------------------------------
def _patterns(patterns=None, regex=""):
    """(the full regex, the callback) of every URL pattern, however deep it is included."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        part = p.pattern.regex.pattern.lstrip("^")
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, regex + part)
        elif isinstance(p, URLPattern):
            yield regex + part, p.callback


def _group_values(regex: str) -> dict[str, list[str]]:
    """Values to try for each named group: a group of alternatives (admin's app labels and
    model names) gets its first one."""
    values = {}
    for name, body in re.findall(r"\(\?P<(\w+)>([^()]*)\)", regex):
        if re.fullmatch(r"[\w|-]+", body):
            values[name] = [body.split("|")[0]]
    return values


def sample_path(regex: str, callbacks) -> str | None:
    """A path that resolves to this pattern (to one of the callbacks of its regex: the API
    has one pattern per method on the same path), with made-up arguments."""
    overrides = _group_values(regex)
    for fmt, params in normalize("^" + regex):
        for candidate in ("1", "x", "2024-01-01", "00000000-0000-0000-0000-000000000001"):
            path = "/" + fmt % {p: overrides.get(p, [candidate])[0] for p in params}
            try:
                if resolve(path).func in callbacks:
                    return path
            except Resolver404:
                continue
    return None


def all_urls():
    urls = {}
    unresolved = []
    patterns = list(_patterns())
    callbacks = {}
    for regex, callback in patterns:
        callbacks.setdefault(regex, []).append(callback)
    for regex, callback in patterns:
        path = sample_path(regex, callbacks[regex])
        if path is None:
            unresolved.append(regex)
        else:
            urls.setdefault(path, callback)
    return urls, unresolved


def test_every_url_is_walked():
    urls, unresolved = all_urls()
    assert not unresolved  # a pattern the walk cannot reach would escape the test below
    assert len(urls) > 150
    for expected in ("/customers/1/edit/", "/accounts/login/", "/admin/", "/api/tokens/"):
        assert expected in urls


def test_only_the_token_api_is_csrf_exempt():
    urls, _unresolved = all_urls()
    exempt = sorted(p for p, cb in urls.items() if getattr(cb, "csrf_exempt", False))
    assert exempt and all(p.startswith("/" + API) for p in exempt), exempt


def test_every_post_without_the_token_is_refused(people, book):
    urls, _unresolved = all_urls()
    for user in (people.admin, people.rep):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        checked = 0
        for path in urls:
            if path.startswith("/" + API):
                continue
            response = client.post(path, {"name": "x", "action": "remove", "day": "2024-01-01"})
            assert (response.status_code, response.content) == (403, REFUSED), (user, path)
            checked += 1
        assert checked > 100
    # the anonymous login form too
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post("/accounts/login/", {"username": "rep", "password": "x"})
    assert response.content == REFUSED


def test_with_the_token_the_same_post_goes_through(people, book):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.rep)
    client.get("/customers/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/api/tokens/", {"name": "mine", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert people.rep.api_tokens.filter(name="mine").exists()


# --- the API: bearer tokens need no CSRF token, cookie sessions do ---------------------------
def test_a_cookie_session_write_to_the_api_needs_the_csrf_token(people, book):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.rep)
    body = {"name": "会话创建的客户"}
    refused = client.post("/api/v1/customers", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert not Customer.objects.filter(name="会话创建的客户").exists()
    # reads need no token
    assert client.get("/api/v1/me").status_code == 200
    # with the token (as the pages' htmx sends it) the write goes through
    client.get("/customers/")
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/customers", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code in (200, 201), accepted.content
    assert Customer.objects.filter(name="会话创建的客户").exists()


def test_a_bearer_token_write_needs_no_csrf_token(people, book):
    _token, plaintext = api_services.create_token(people.rep, "csrf test")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {plaintext}"})
    response = client.post(
        "/api/v1/customers", {"name": "令牌创建的客户"}, content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content


def test_an_anonymous_api_write_is_unauthorized(people):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/customers", {"name": "匿名客户"}, content_type="application/json"
    )
    assert response.status_code in (401, 403)


# --- every rendered form carries the token --------------------------------------------------
class _Forms(HTMLParser):
    """Collects each <form method="post"> with the names of its hidden inputs, and htmx write
    attributes, and the body's hx-headers."""

    WRITES = ("hx-post", "hx-put", "hx-patch", "hx-delete")

    def __init__(self):
        super().__init__()
        self.forms = []  # [(action, [input names])]
        self.open = []
        self.htmx_writes = 0
        self.hx_headers = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.hx_headers = attrs.get("hx-headers")
        if any(a in attrs for a in self.WRITES):
            self.htmx_writes += 1
        if tag == "form":
            form = [attrs.get("action", ""), [], (attrs.get("method") or "get").lower()]
            self.forms.append(form)
            self.open.append(form)
        elif tag == "input" and self.open:
            self.open[-1][1].append(attrs.get("name"))

    def handle_endtag(self, tag):
        if tag == "form" and self.open:
            self.open.pop()


@pytest.fixture
def busy(people, book):
    """Something on every main page: a deal, an interaction and a follow-up due today."""
    customer = book["rep"]
    deal = pipeline.create_deal(people.rep, customer, {"title": "ERP 升级", "amount": "1000"})
    followups.log_interaction(
        people.rep, customer, method="phone", content="电话", next_on=timezone.localdate()
    )
    return {"customer": customer, "deal": deal}


def test_every_post_form_on_the_main_pages_carries_the_token(people, busy, login):
    customer, deal = busy["customer"], busy["deal"]
    pages = {
        people.rep: [
            "/followups/today/",
            "/customers/",
            "/customers/new/",
            f"/customers/{customer.pk}/",
            f"/customers/{customer.pk}/edit/",
            f"/customers/{customer.pk}/contacts/new/",
            "/followups/interactions/",
            "/followups/plans/",
            "/followups/pool/",
            "/followups/calendar/",
            "/followups/notifications/",
            "/deals/",
            "/deals/board/",
            f"/deals/{deal.pk}/",
            f"/deals/new/{customer.pk}/",
            f"/sales/orders/new/{customer.pk}/",
            "/sheets/import/",
            "/api/tokens/",
        ],
        people.director: [
            "/reports/",
            "/reports/pivot/",
            "/tiering/policies/",
            "/tiering/policies/new/",
            "/tiering/reviews/",
            "/followups/cadence/",
            "/deals/stages/",
            "/calendar-days/",
            "/targets/",
            "/planning/",
            "/incentives/",
            "/incentives/new/",
            "/assignment/",
            "/quotas/",
            "/sales/products/",
            "/webhooks/",
            "/webhooks/new/",
            f"/customers/{customer.pk}/",
        ],
    }
    forms = 0
    for user, urls in pages.items():
        client = login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            html = response.content.decode()
            parser = _Forms()
            parser.feed(html)
            for action, inputs, method in parser.forms:
                if method == "post":
                    forms += 1
                    assert "csrfmiddlewaretoken" in inputs, (url, action)
            if parser.htmx_writes:  # htmx sends the body's hx-headers with every request
                assert re.search(r'"X-CSRFToken": "\w{32,}"', parser.hx_headers or ""), url
    assert forms > 20  # the pages do have forms


def test_the_login_page_form_carries_the_token(db):
    html = Client().get("/accounts/login/").content.decode()
    parser = _Forms()
    parser.feed(html)
    posts = [inputs for _a, inputs, method in parser.forms if method == "post"]
    assert posts and all("csrfmiddlewaretoken" in inputs for inputs in posts)
