"""Flow analytics checked against numbers worked out by hand on four deals.

D1 张伟 展会 ¥100: 初步接触 d0 → 需求分析 d2 → 方案制定 d5 → 报价 d6 → 合同谈判 d8 → 赢单 d10
D2 张伟 展会 ¥50:  初步接触 d0 → 需求分析 d4 → 输单 d5 (价格高于竞品)
D3 张伟 —    ¥20:  初步接触 d0
D4 赵磊 展会 ¥200: 初步接触 d0 → 需求分析 d2 → 方案制定 d3 → 赢单 d20
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.followups.models import Interaction
from kehu.pipeline import analytics, services
from kehu.pipeline.models import Deal, Stage, StageChange
from tests.downloads import csv_rows, xlsx_sheets

START = timezone.now() - timedelta(days=60)


def day(n):
    return START + timedelta(days=n)


@pytest.fixture
def flow(people):
    services.ensure_default_stages()
    s = {x.name: x for x in Stage.objects.all()}
    plan = [
        (
            people.rep,
            "D1",
            100,
            True,
            [
                ("初步接触", 0),
                ("需求分析", 2),
                ("方案制定", 5),
                ("报价", 6),
                ("合同谈判", 8),
                ("赢单", 10),
            ],
        ),
        (people.rep, "D2", 50, True, [("初步接触", 0), ("需求分析", 4), ("输单", 5)]),
        (people.rep, "D3", 20, False, [("初步接触", 0)]),
        (
            people.rep2,
            "D4",
            200,
            True,
            [("初步接触", 0), ("需求分析", 2), ("方案制定", 3), ("赢单", 20)],
        ),
    ]
    made = {}
    for owner, title, amount, fair, steps in plan:
        customer = people.customer(owner, f"{title}客户有限公司")
        deal = services.create_deal(
            owner,
            customer,
            {"title": title, "amount": amount, "channel": people.channel if fair else None},
        )
        for name, _n in steps[1:]:
            services.move_stage(owner, deal, s[name], lost_reason="价格高于竞品")
        for change, (_name, n) in zip(
            StageChange.objects.filter(deal=deal).order_by("at", "pk"), steps, strict=True
        ):
            StageChange.objects.filter(pk=change.pk).update(at=day(n))
        closed = day(steps[-1][1]) if len(steps) > 1 and steps[-1][0] in ("赢单", "输单") else None
        Deal.objects.filter(pk=deal.pk).update(created_at=day(0), closed_at=closed)
        services.recompute_history([deal.pk])
        made[title] = Deal.objects.get(pk=deal.pk)
    # interactions while the deals were open: two calls for D1, a WeChat message for D2
    for title, method, n in [("D1", "phone", 1), ("D1", "phone", 7), ("D2", "wechat", 3)]:
        Interaction.objects.create(
            customer=made[title].customer, user=people.rep, at=day(n), method=method, content="x"
        )
    Interaction.objects.create(  # after D1 was won: not counted
        customer=made["D1"].customer, user=people.rep, at=day(30), method="visit", content="x"
    )
    return made


def figures(people, **filters):
    return analytics.deals(people.director, analytics.Filters(**filters))


def test_funnel_by_count_amount_and_conversion(people, flow):
    funnel = {row["stage"].name: row for row in analytics.funnel(figures(people))}
    assert [
        funnel[n]["count"] for n in ["初步接触", "需求分析", "方案制定", "报价", "合同谈判", "赢单"]
    ] == [4, 3, 2, 2, 2, 2]
    assert funnel["初步接触"]["amount"] == 370 and funnel["需求分析"]["amount"] == 350
    assert funnel["需求分析"]["conversion"] == pytest.approx(3 / 4)
    assert funnel["方案制定"]["conversion"] == pytest.approx(2 / 3)
    assert funnel["初步接触"]["conversion"] is None


def test_conversion_by_channel(people, flow):
    rows = {r["channel__name"]: r for r in analytics.by_channel(figures(people))}
    assert (rows["展会"]["deals"], rows["展会"]["won"]) == (3, 2)
    assert rows["展会"]["rate"] == pytest.approx(2 / 3) and rows["展会"]["amount"] == 300
    assert rows[None]["won"] == 0


def test_win_rate_and_average_by_owner(people, flow):
    rows = {r["name"]: r for r in analytics.by_owner(figures(people))}
    assert rows["张伟"]["rate"] == pytest.approx(0.5) and rows["张伟"]["average"] == 100
    assert rows["赵磊"]["rate"] == 1 and rows["赵磊"]["average"] == 200


def test_cycle_time_and_time_in_stage(people, flow):
    assert analytics.cycle_days(figures(people)) == pytest.approx(15)
    stays = {r["stage"].name: r["days"] for r in analytics.time_in_stage(figures(people))}
    assert stays["初步接触"] == pytest.approx(8 / 3)
    assert stays["需求分析"] == pytest.approx(5 / 3)
    assert stays["方案制定"] == pytest.approx(9)


def test_methods_on_won_and_lost_deals_and_lost_reasons(people, flow):
    rows = {r["method"]: r for r in analytics.methods_by_outcome(figures(people))}
    assert rows["phone"] == {"method": "phone", "won": 2, "lost": 0}
    assert rows["wechat"] == {"method": "wechat", "won": 0, "lost": 1}
    assert "visit" not in rows
    assert analytics.lost_reasons(figures(people))[0]["lost_reason"] == "价格高于竞品"


def test_filters_and_a_reps_view(people, flow):
    assert figures(people, owner=people.rep2.pk).count() == 1
    assert figures(people, channel=people.channel.pk).count() == 3
    assert figures(people, team=people.east.pk).count() == 3  # 张伟 is in 华东 / 杭州组
    mine = analytics.deals(people.rep2, analytics.Filters())
    assert list(mine.values_list("title", flat=True)) == ["D4"]


def test_the_analytics_page_and_its_export(people, flow, login):
    client = login(people.manager)
    page = client.get("/deals/analytics/")
    assert page.status_code == 200
    assert page.context["funnel"][0]["count"] == 3  # 华东's three deals only
    assert 'data-testid="export-csv"' in page.content.decode()
    sheets = xlsx_sheets(client.get("/deals/analytics/", {"format": "xlsx"}))
    assert list(sheets) == ["漏斗", "按渠道", "按负责人", "阶段停留", "输单原因"]
    funnel = sheets["漏斗"]
    assert funnel[0][:2] == ["销售阶段", "商机"] and funnel[1][1] == 3  # the manager's three
    assert csv_rows(client.get("/deals/analytics/", {"format": "csv"}))[1][1] == "3"
    older = xlsx_sheets(client.get("/deals/analytics/?export=xlsx"))  # links made before
    assert older["漏斗"] == funnel
