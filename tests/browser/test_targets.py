"""A director sets 华东大区's quarter target, splits it among its groups and its manager, changes
one part by hand (the others rebalance), and the manager sees the parts add up, in a real
browser."""

from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.targets import periods
from kehu.targets.models import Target

from .test_customer_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_director_sets_splits_and_adjusts_a_team_target(page, live_server, people):
    at = periods.key("quarter", periods.start_of("quarter", timezone.localdate()))
    log_in(page, live_server, "director")
    page.goto(f"{live_server.url}/targets/?metric=won_amount&period=quarter&at={at}")
    page.select_option("[data-testid=set-target] select[name=team]", str(people.east.pk))
    page.fill("[data-testid=set-target] input[name=amount]", "90,000")
    page.click("[data-testid=set-target] button")
    page.wait_for_selector("[data-testid=split-scope]")
    page.select_option("[data-testid=split-scope] select[name=method]", "equal")
    page.click("[data-testid=split-scope] button.btn-primary")
    page.wait_for_selector("[data-testid=part]")
    assert page.locator("[data-testid=part]").count() == 3
    first = page.locator("[data-testid=part]").first
    first.locator("input[name=amount]").fill("50000")
    first.locator("button").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=part] input[name=amount]').value === '50000.00'"
    )
    parts = Target.objects.get(team=people.east).children.order_by("id")
    assert [p.amount for p in parts] == [Decimal(50000), Decimal(20000), Decimal(20000)]

    page.context.clear_cookies()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/targets/?metric=won_amount&period=quarter&at={at}")
    rows = page.locator("[data-testid=target-row]")
    assert rows.count() == 4  # 华东大区 and its three parts
    assert "90,000.00" in rows.first.inner_text()
