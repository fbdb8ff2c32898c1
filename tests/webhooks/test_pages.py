"""The webhook pages: admins and directors only; register, edit, rotate, test, redeliver."""

import pytest
from django.core.exceptions import ValidationError

from kehu.webhooks import services
from kehu.webhooks.models import Delivery, Endpoint


@pytest.mark.parametrize("who", ["rep", "manager", "viewer"])
def test_others_get_404_on_every_page(people, login, subscribe, who):
    endpoint = subscribe("customer.created")
    delivery = services.send_test(people.admin, endpoint)
    client = login(getattr(people, who))
    for url in ["/webhooks/", "/webhooks/new/", f"/webhooks/{endpoint.pk}/"]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/webhooks/{endpoint.pk}/edit/",
        f"/webhooks/{endpoint.pk}/rotate/",
        f"/webhooks/{endpoint.pk}/test/",
        f"/webhooks/deliveries/{delivery.pk}/redeliver/",
    ]:
        assert client.post(url).status_code == 404, url
    assert Endpoint.objects.get().secret == endpoint.secret
    assert Delivery.objects.count() == 1


def test_the_settings_menu_links_to_webhooks_for_directors_only(people, login):
    assert 'href="/webhooks/"' in login(people.director).get("/customers/").text
    assert 'href="/webhooks/"' not in login(people.manager).get("/customers/").text


def test_director_registers_a_url_and_sees_the_secret_once(people, login, receiver):
    client = login(people.director)
    assert client.get("/webhooks/new/").status_code == 200
    response = client.post(
        "/webhooks/new/",
        {
            "url": receiver.url,
            "events": ["customer.created", "deal.stage_changed"],
            "description": "ERP 同步",
            "active": "on",
        },
    )
    endpoint = Endpoint.objects.get()
    assert response.url == f"/webhooks/{endpoint.pk}/"
    assert endpoint.events == ["customer.created", "deal.stage_changed"]
    assert endpoint.created_by == people.director and endpoint.active
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 30
    assert endpoint.secret in client.get(response.url).text
    assert endpoint.secret not in client.get(response.url).text  # once
    listed = client.get("/webhooks/").text
    assert receiver.url in listed and "ERP 同步" in listed


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "example.com/x", ""],
)
def test_non_http_urls_are_refused_naming_the_field(people, login, url):
    response = login(people.admin).post(
        "/webhooks/new/", {"url": url, "events": ["customer.created"], "active": "on"}
    )
    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    assert not Endpoint.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(people.admin, {"url": url, "events": ["customer.created"]})
    assert "url" in refused.value.message_dict


def test_events_must_be_chosen_from_the_list(people):
    for events in ([], ["customer.deleted"]):
        with pytest.raises(ValidationError) as refused:
            services.create_endpoint(
                people.admin, {"url": "https://erp.example.com/h", "events": events}
            )
        assert "events" in refused.value.message_dict


def test_edit_saves_and_refuses_a_stale_form(people, login, subscribe):
    endpoint = subscribe("customer.created")
    client = login(people.admin)
    form = client.get(f"/webhooks/{endpoint.pk}/edit/").context["form"]
    data = {
        "url": "https://erp.example.com/kehu",
        "events": ["tier.changed"],
        "description": "",
        "version": form["version"].value(),
    }
    assert client.post(f"/webhooks/{endpoint.pk}/edit/", data).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.active) == (
        "https://erp.example.com/kehu",
        ["tier.changed"],
        False,  # the box was left unticked
    )
    stale = client.post(f"/webhooks/{endpoint.pk}/edit/", {**data, "url": "https://x.example"})
    assert stale.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.url == "https://erp.example.com/kehu"


def test_rotating_the_secret_signs_with_the_new_one(people, login, receiver, subscribe, capture):
    endpoint = subscribe("customer.created")
    old = endpoint.secret
    client = login(people.director)
    response = client.post(f"/webhooks/{endpoint.pk}/rotate/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in client.get(response.url).text
    receiver.secret = endpoint.secret
    with capture(execute=True):
        client.post(f"/webhooks/{endpoint.pk}/test/")
    assert [r.valid for r in receiver.requests] == [True]


def test_the_test_event_is_a_signed_ping(people, login, receiver, subscribe, capture):
    endpoint = subscribe("tier.changed")
    with capture(execute=True):
        response = login(people.admin).post(f"/webhooks/{endpoint.pk}/test/")
    assert response.url == f"/webhooks/{endpoint.pk}/"
    [got] = receiver.requests
    assert got.valid and got.headers["X-Kehu-Event"] == "ping"
    assert got.json["data"] == {"endpoint_id": endpoint.pk, "by_id": people.admin.pk}
    page = login(people.admin).get(f"/webhooks/{endpoint.pk}/")
    assert [d.event for d in page.context["deliveries"]] == ["ping"]
    assert "ping" in page.text


def test_redeliver_sends_the_same_event_again(people, login, receiver, subscribe, capture):
    endpoint = subscribe("customer.created")
    receiver.status = [500, 200]
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    failed = Delivery.objects.get()
    assert failed.status == "failed"
    with capture(execute=True):
        response = login(people.director).post(f"/webhooks/deliveries/{failed.pk}/redeliver/")
    assert response.url == f"/webhooks/{endpoint.pk}/"
    again = Delivery.objects.exclude(pk=failed.pk).get()
    assert (again.status, again.event_id, again.payload) == (
        "sent",
        failed.event_id,
        failed.payload,
    )
    assert receiver.requests[0].body == receiver.requests[1].body
    page = login(people.director).get(f"/webhooks/{endpoint.pk}/")
    assert "{&quot;ok&quot;: true}" in page.text  # the response body is in the log


def test_an_inactive_endpoint_is_not_sent_to(people, login, receiver, subscribe, capture):
    endpoint = subscribe("customer.created")
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
    with capture(execute=True):
        login(people.admin).post(f"/webhooks/{endpoint.pk}/test/")
    assert receiver.requests == [] and not Delivery.objects.exists()


def test_the_list_shows_each_endpoints_last_delivery_in_few_queries(
    people, login, subscribe, django_assert_max_num_queries
):
    for _ in range(5):
        services.send_test(people.admin, subscribe("customer.created"))
    client = login(people.admin)
    with django_assert_max_num_queries(12) as few:
        client.get("/webhooks/")
    services.send_test(people.admin, subscribe("customer.created"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/webhooks/")
    assert page.text.count("ping") == 6
