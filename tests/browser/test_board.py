"""The deal board in a real browser: drag a deal to the next stage."""

import pytest

from kehu.pipeline import services
from kehu.pipeline.models import Deal, Stage, StageChange
from tests.browser.test_customer_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_drags_a_deal_to_the_next_stage(page, live_server, people):
    services.ensure_default_stages()
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    deal = services.create_deal(people.rep, customer, {"title": "ERP 升级", "amount": "120000"})
    nxt = Stage.objects.get(name="需求分析")
    log_in(page, live_server, "rep")
    page.goto(f"{live_server.url}/deals/board/")
    card = page.locator(f"[data-testid=deal-{deal.pk}]")
    target = page.locator(f"[data-testid=column-{nxt.pk}]")
    card.drag_to(target)
    page.locator(f"[data-testid=column-{nxt.pk}] [data-testid=deal-{deal.pk}]").wait_for()
    for _ in range(40):  # the move is saved by a request after the drop
        deal.refresh_from_db()
        if deal.stage_id == nxt.pk:
            break
        page.wait_for_timeout(250)
    assert deal.stage == nxt and deal.probability == 20
    assert StageChange.objects.filter(deal=deal, to_stage=nxt, by=people.rep).exists()
    assert Deal.objects.count() == 1
