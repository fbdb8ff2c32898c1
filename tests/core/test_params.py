"""A bookmarked or hand-edited URL with a date that is not a day (2026-02-30, 2026-13-01) shows
the page, and its export, without that filter: never an error page."""

import pytest

from tests.downloads import sheet

BAD = {"since": "2026-02-30", "until": "2026-13-01", "start": "2026-02-30", "end": "2026-02-31"}
PAGES = [
    "/tiering/history/",
    "/followups/interactions/",
    "/followups/plans/",
    "/quotas/usage/",
    "/sales/lifecycle/",
    "/sales/orders/",
]


@pytest.mark.parametrize("url", PAGES)
def test_an_impossible_date_in_the_url_is_no_filter(people, login, url):
    client = login(people.director)
    assert client.get(url, BAD).status_code == 200
    assert sheet(client.get(url, {**BAD, "format": "xlsx"}))  # the export too, with its header


def test_an_impossible_date_in_a_pivot_is_no_filter(people, login):
    query = {**BAD, "rows": "owner", "measure": "count"}
    assert login(people.director).get("/reports/pivot/", query).status_code == 200


def test_an_impossible_date_in_a_form_is_refused_with_a_message(people, login):
    from kehu.tiering.models import TierChange

    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    client = login(people.director)
    page = client.post(
        f"/tiering/customers/{customer.pk}/override/",
        {"tier": "A", "reason": "战略客户", "expires_on": "2026-02-30"},
        follow=True,
    )
    assert "2026-02-30" in page.content.decode()  # named in the message, not a 500
    assert not TierChange.objects.exists()
    page = client.post(
        "/calendar-days/", {"year": "2027", "day": "2027-02-30", "kind": "workday"}, follow=True
    )
    assert page.status_code == 200 and "2027-02-30" in page.content.decode()
