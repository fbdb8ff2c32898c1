"""My day, the calendar, the iCal feed, notifications and the morning e-mail."""

from datetime import date, timedelta

from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from kehu.followups import digest, services
from kehu.followups.models import CalendarFeed, FollowUp, Notification


def test_my_day_has_overdue_today_and_upcoming(people, accounts, login):
    services.plan_all()
    today = timezone.localdate()
    FollowUp.objects.filter(customer=accounts["c"]).update(due_on=today - timedelta(days=3))
    FollowUp.objects.filter(customer=accounts["a"], owner=people.rep).update(due_on=today)
    response = login(people.rep).get("/followups/today/")
    sections = response.context["sections"]
    assert [f.customer.name for f in sections["overdue"]] == ["杭州小蚂蚁文具店"]
    assert [f.customer.name for f in sections["today"]] == ["杭州云帆科技有限公司"]
    assert all(f.owner == people.rep for rows in sections.values() for f in rows)


def test_a_manager_sees_the_team_a_rep_only_their_own(people, accounts, login):
    services.plan_all()
    FollowUp.objects.update(due_on=timezone.localdate())
    manager = login(people.manager).get("/followups/today/?scope=team").context
    owners = {f.owner.username for f in manager["sections"]["today"]}
    assert owners == {"rep"}  # 华东: 张伟's; not 赵磊 (北京) nor the director
    rep = login(people.rep2).get("/followups/today/?scope=team").context
    assert rep["scope"] == "me"
    assert {f.owner.username for f in rep["sections"]["today"]} == {"rep2"}


def test_home_is_my_day_for_reps_and_the_dashboard_for_viewers(people, login):
    assert login(people.rep).get("/")["Location"] == "/followups/today/"
    assert login(people.viewer).get("/")["Location"] == "/reports/"


def test_my_day_logs_inline_with_htmx(people, accounts, login):
    services.plan_all()
    followup = FollowUp.objects.get(customer=accounts["c"])
    client = login(people.rep)
    form = client.get(f"/followups/{followup.pk}/log/", HTTP_HX_REQUEST="true")
    assert 'data-testid="log-form"' in form.content.decode()
    done = client.post(
        f"/followups/customers/{accounts['c'].pk}/log/",
        {"method": "wechat", "content": "推送了双十二活动", "followup": followup.pk},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-testid="done"' in done.content.decode()
    followup.refresh_from_db()
    assert followup.status == "done"
    refused = client.post(
        f"/followups/customers/{accounts['c'].pk}/log/",
        {"method": "wechat", "content": "x", "followup": followup.pk},
        HTTP_HX_REQUEST="true",
    )
    assert refused["HX-Retarget"] == f"#log-{followup.pk}"


def test_the_calendar_marks_days_off_and_make_up_days(people, accounts, login):
    services.plan_all()
    page = login(people.rep).get("/followups/calendar/?month=2026-10").content.decode()
    assert 'data-testid="calendar"' in page
    weeks = login(people.rep).get("/followups/calendar/?month=2026-10").context["weeks"]
    days = {d["day"]: d for week in weeks for d in week}
    assert not days[date(2026, 10, 1)]["working"]  # National Day
    assert days[date(2026, 10, 10)]["working"]  # the Saturday worked (调休)


def test_ical_feed_parses_and_lists_the_plan(people, accounts, client, login):
    services.plan_all()
    login(people.rep).get("/followups/calendar/feed/")
    token = CalendarFeed.objects.get(user=people.rep).token
    response = client.get(f"/followups/ical/{token}.ics")  # no login: the token is the key
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert len(summaries) == 2 and summaries[0].startswith("杭州")
    assert client.get("/followups/ical/not-a-token.ics").status_code == 404


def test_resetting_the_feed_address_retires_the_old_one(people, login, client):
    rep = login(people.rep)
    rep.get("/followups/calendar/feed/")
    old = CalendarFeed.objects.get(user=people.rep).token
    rep.post("/followups/calendar/feed/")
    assert client.get(f"/followups/ical/{old}.ics").status_code == 404


def test_unread_count_in_the_page_and_marking_read(people, accounts, login):
    services.notify([people.rep.pk], "测试提醒")
    client = login(people.rep)
    page = client.get("/customers/").content.decode()
    assert 'data-testid="unread">1<' in page
    client.post("/followups/notifications/")
    assert not Notification.objects.filter(user=people.rep, read_at__isnull=True).exists()


def test_morning_digest_goes_to_each_person_in_their_language(people, accounts):
    people.rep.email, people.rep.language = "zhangwei@example.com", "zh-hans"
    people.rep.save()
    people.rep2.email, people.rep2.language = "zhaolei@example.com", "en"
    people.rep2.save()
    services.plan_all()
    FollowUp.objects.update(due_on=timezone.localdate())
    assert digest.send_all() == 2
    by_person = {m.to[0]: m for m in mail.outbox}
    assert "今天到期" in by_person["zhangwei@example.com"].subject
    assert "due today" in by_person["zhaolei@example.com"].subject
    assert "北京星辰网络科技有限公司" in by_person["zhaolei@example.com"].body
