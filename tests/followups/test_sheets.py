"""The interaction log and the follow-up plan as lists, scoped like everything else."""

from datetime import timedelta

from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.followups import services
from kehu.followups.models import FollowUp, Interaction


def test_interaction_log_lists_mine_and_for_a_manager_the_team(people, accounts, login):
    services.log_interaction(people.rep, accounts["a"], method="phone", content="张伟的电话")
    services.log_interaction(people.rep2, accounts["b"], method="visit", content="赵磊的拜访")
    rep = login(people.rep).get("/followups/interactions/?scope=team").context
    assert [i.content for i in rep["rows"]] == ["张伟的电话"]  # a rep has no team view
    manager = login(people.manager).get("/followups/interactions/?scope=team").context
    assert [i.content for i in manager["rows"]] == ["张伟的电话"]  # 华东 only
    director = login(people.director).get("/followups/interactions/?scope=team").context
    assert {i.content for i in director["rows"]} == {"张伟的电话", "赵磊的拜访"}


def test_interaction_log_filters_by_method_and_dates(people, accounts, login):
    services.log_interaction(people.rep, accounts["a"], method="phone", content="电话")
    old = services.log_interaction(people.rep, accounts["c"], method="wechat", content="微信")
    Interaction.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=20))
    client = login(people.rep)
    assert [
        i.content for i in client.get("/followups/interactions/?method=wechat").context["rows"]
    ] == ["微信"]
    since = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert [
        i.content for i in client.get(f"/followups/interactions/?since={since}").context["rows"]
    ] == ["电话"]


def test_plan_sheet_shows_overdue_and_results(people, accounts, login):
    services.plan_all()
    FollowUp.objects.filter(customer=accounts["c"]).update(
        due_on=timezone.localdate() - timedelta(days=3)
    )
    services.log_interaction(people.rep, accounts["a"], method="phone", content="完成回访")
    client = login(people.rep)
    overdue = client.get("/followups/plans/?status=overdue").context["rows"]
    assert [f.customer.name for f in overdue] == ["杭州小蚂蚁文具店"]
    done = client.get("/followups/plans/?status=done").context["rows"]
    assert [f.result for f in done] == ["完成回访"]
    page = client.get("/followups/plans/").content.decode()
    assert "已逾期" in page


def test_logging_names_the_contact(people, accounts, login):
    contact = customer_services.add_contact(
        people.rep, accounts["a"], {"name": "王经理", "phone": "13812345678"}
    )
    page = login(people.rep).get(f"/customers/{accounts['a'].pk}/").content.decode()
    assert f'<option value="{contact.pk}">王经理' in page
    login(people.rep).post(
        f"/followups/customers/{accounts['a'].pk}/log/",
        {"method": "phone", "content": "与王经理通话", "contact": contact.pk},
    )
    assert Interaction.objects.get().contact == contact
