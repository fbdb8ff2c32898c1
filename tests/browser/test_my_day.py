"""My day in a real browser: open the inline form, log the call, see it done."""

import pytest
from django.utils import timezone

from kehu.followups import pool, services
from kehu.followups.models import FollowUp, Interaction
from tests.browser.test_customer_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_an_interaction_from_my_day(page, live_server, people):
    services.ensure_default_cadence()
    pool.ensure_default_rules()
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")
    services.plan_all()
    FollowUp.objects.update(due_on=timezone.localdate())  # due today
    followup = FollowUp.objects.get(customer=customer)
    log_in(page, live_server, "rep")
    page.goto(f"{live_server.url}/")
    assert "我的今天" in page.title()
    page.click(f"[data-testid=log-{followup.pk}]")
    form = page.locator("[data-testid=log-form]")
    form.locator("[data-testid=log-method]").select_option("phone")
    form.locator("[data-testid=log-content]").fill("电话确认了年底备货需求")
    form.locator("[data-testid=log-submit]").click()
    page.locator("[data-testid=done]").wait_for()
    assert Interaction.objects.get().content == "电话确认了年底备货需求"
    followup.refresh_from_db()
    assert followup.status == "done"
    assert FollowUp.objects.filter(customer=customer, status="todo").count() == 1
