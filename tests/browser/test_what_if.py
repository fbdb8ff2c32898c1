"""The what-if screen in a real browser: change the weights, preview, see who moves."""

import pytest

from kehu.tiering.models import TierPolicy
from tests.browser.test_customer_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_director_previews_a_policy_change(page, live_server, people):
    for i, amount in enumerate([900_000, 500_000, 300_000, 100_000, 10_000]):
        people.customer(
            people.rep, f"杭州测试{i}科技有限公司", cooperation_amount=str(amount), tier="C"
        )
    log_in(page, live_server, "director")
    page.click("text=分级方案")
    page.click("[data-testid=new-policy]")
    # keep only purchase amount, at full weight; top 20% A
    for row in page.locator("tr[data-metric]").all():
        box = row.locator("input[type=checkbox]").first
        if row.get_attribute("data-metric") == "purchase_amount":
            box.check()
            row.locator("input[name=weight_purchase_amount]").fill("100")
        else:
            box.uncheck()
    page.click("[data-testid=preview]")
    what_if = page.locator("[data-testid=what-if]")
    assert "4 / 5" not in what_if.inner_text()
    assert page.locator("[data-testid=after-A]").inner_text() == "1"
    assert "杭州测试0科技有限公司" in what_if.inner_text()
    assert not TierPolicy.objects.exists()  # a preview writes nothing

    page.fill("input[name=weight_purchase_amount]", "90")
    page.click("[data-testid=preview]")
    assert "100" in page.locator("[data-testid=policy-errors]").inner_text()


def test_director_re_tiers_and_sees_the_distribution_over_time(page, live_server, people):
    from kehu.tiering import services
    from kehu.tiering.defaults import ensure_default_policy

    for i, amount in enumerate([900_000, 500_000, 300_000, 100_000, 10_000]):
        people.customer(
            people.rep, f"杭州测试{i}科技有限公司", cooperation_amount=str(amount), tier="C"
        )
    ensure_default_policy(people.director)
    services.record_snapshot()
    log_in(page, live_server, "director")
    page.click("text=分级方案")
    page.click("text=立即重新分级")
    runs = page.locator("[data-testid=runs]")
    assert "已完成" in runs.inner_text()  # the job ran (at once in tests) and reports back
    page.click("text=分级历史")
    chart = page.locator("[data-testid=tier-chart] canvas")
    chart.wait_for()
    assert chart.bounding_box()["height"] > 100  # ECharts drew it
