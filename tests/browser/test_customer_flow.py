"""The main flow in a real browser: log in, find a customer by pinyin initials, edit it."""

import pytest

from kehu.customers.models import Customer
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if not page.url.endswith("/customers/"):
        page.goto(f"{live_server.url}/customers/")


def test_rep_finds_customer_by_pinyin_initials_and_edits_it(page, live_server, people):
    target = people.customer(people.rep, "杭州云帆科技有限公司", city="杭州")
    people.customer(people.rep, "宁波海纳贸易有限公司")
    people.customer(people.rep2, "北京星辰科技有限公司")  # another rep's: never shown

    log_in(page, live_server, "rep")
    assert page.locator("h1").first.inner_text() == "客户"  # Chinese by default

    page.fill("#id_q", "yfkj")  # 云帆科技 by its initials; the table refreshes as you type
    page.wait_for_function(
        "() => document.querySelectorAll('#customer-table tbody a').length === 1"
    )
    rows = page.locator("#customer-table tbody a")
    assert rows.first.inner_text() == "杭州云帆科技有限公司"

    page.fill("#id_q", "kjyx")  # 科技有限: only the rep's own company matches
    page.wait_for_function(
        "() => [...document.querySelectorAll('#customer-table tbody a')].map(a => a.textContent)"
        ".join() === '杭州云帆科技有限公司'"
    )
    assert "北京星辰" not in page.content()

    rows.first.click()
    page.wait_for_url(f"{live_server.url}/customers/{target.pk}/")
    page.click("[data-testid=edit-customer]")
    page.fill("#id_core_needs", "希望年内完成系统升级")
    page.fill("#id_city", "　杭州市　")  # full-width spaces are cleaned on save
    page.click("[data-testid=save]")
    page.wait_for_url(f"{live_server.url}/customers/{target.pk}/")
    assert "希望年内完成系统升级" in page.locator("body").inner_text()
    # the change is in the timeline with old → new
    assert "核心需求" in page.locator("[data-testid=timeline]").inner_text()

    target.refresh_from_db()
    assert target.core_needs == "希望年内完成系统升级"
    assert target.city == "杭州市"
    assert target.version == 2


def test_switching_to_english_shows_english_pages(page, live_server, people):
    log_in(page, live_server, "director")
    page.click("[data-testid=switch-language]")
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text() == "Customers"


def test_stale_edit_is_refused_in_the_browser(page, live_server, people):
    target = people.customer(people.rep, "苏州精工机械有限公司")
    log_in(page, live_server, "rep")
    page.goto(f"{live_server.url}/customers/{target.pk}/edit/")
    # someone else saves in between
    from kehu.customers import services

    services.update_customer(
        people.manager, Customer.objects.get(pk=target.pk), {"notes": "经理已更新"}
    )
    page.fill("#id_notes", "我的修改")
    page.click("[data-testid=save]")
    assert "李经理" in page.locator("[data-testid=form-errors]").inner_text()
    target.refresh_from_db()
    assert target.notes == "经理已更新"


def test_manager_bulk_assigns_selected_customers(page, live_server, people):
    a = people.customer(people.rep, "杭州云帆科技有限公司")
    b = people.customer(people.rep, "宁波海纳贸易有限公司")
    c = people.customer(people.rep, "苏州精工机械有限公司")
    log_in(page, live_server, "manager")
    page.check(f"[data-row-select][value='{a.pk}']")
    page.check(f"[data-row-select][value='{b.pk}']")
    assert page.locator("#bulk-count").inner_text() == "2"
    page.select_option("#bulk-bar select[name=owner]", str(people.rep3.pk))
    page.click("#bulk-bar button[value=assign]")
    page.wait_for_load_state()
    assert "已更新 2 个客户" in page.locator(".alert-success").inner_text()
    owners = dict(Customer.objects.values_list("pk", "owner__username"))
    assert owners == {a.pk: "rep3", b.pk: "rep3", c.pk: "rep"}


def test_rep_merges_a_duplicate_after_comparing(page, live_server, people):
    from kehu.customers import services

    keep = people.customer(people.rep, "杭州云帆科技有限公司")
    drop = people.customer(people.rep, "云帆科技（杭州）有限公司", province="浙江")
    services.add_contact(people.rep, drop, {"name": "李强", "phone": "13800000002"})
    log_in(page, live_server, "rep")
    page.goto(f"{live_server.url}/customers/{keep.pk}/")
    page.click("text=合并重复客户")
    page.fill("#id_other", str(drop.pk))
    page.click("#merge-panel button")
    page.wait_for_url(f"**/customers/{keep.pk}/merge/?other={drop.pk}")
    assert "云帆科技（杭州）有限公司" in page.locator("table").inner_text()
    page.click("[data-testid=confirm-merge]")
    page.wait_for_url(f"{live_server.url}/customers/{keep.pk}/")
    assert "李强" in page.locator("body").inner_text()
    assert "合并自" in page.locator("[data-testid=timeline]").inner_text()
    assert not Customer.objects.filter(pk=drop.pk).exists()


def test_saved_view_brings_back_filters_and_columns(page, live_server, people):
    people.customer(people.rep, "杭州云帆科技有限公司", status="customer")
    people.customer(people.rep, "宁波海纳贸易有限公司", status="lead")
    log_in(page, live_server, "rep")
    page.goto(f"{live_server.url}/customers/?status=customer&cols=name,status,owner")
    page.click("text=保存视图")
    page.fill("input[name=name]", "我的成交客户")
    page.click("text=保存当前筛选条件和列")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/customers/")
    page.click("[data-testid=saved-view]")
    page.wait_for_load_state()
    rows = page.locator("#customer-table tbody a").all_inner_texts()
    assert rows == ["杭州云帆科技有限公司"]
    headers = page.locator("#customer-table thead th").all_inner_texts()
    assert [h.strip() for h in headers if h.strip()] == ["客户名称", "状态", "负责人"]
