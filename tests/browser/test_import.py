"""The spreadsheet round trip in a real browser: upload the seed sheet, read the preview,
skip the bad row, import, see the customers in the list."""

import pytest

from kehu.customers.models import Customer
from tests.browser.test_customer_flow import log_in
from tests.sheets.conftest import xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_imports_the_customer_sheet_from_the_page(page, live_server, people, tmp_path):
    sheet = tmp_path / "客户信息基础表.xlsx"
    sheet.write_bytes(
        xlsx(
            [
                ["序号", "客户名称", "联系人", "联系方式", "历史合作金额（万元）", "负责人"],
                [1, "杭州云帆科技有限公司", "王芳", "138 1234 5678", 12.5, "张伟"],
                [2, "宁波海曙贸易有限公司", "李强", "不是电话", 3, "张伟"],
            ],
            title="表1 客户信息基础表",
        )
    )
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/customers/")
    page.click("text=导入")
    page.set_input_files("input[type=file]", str(sheet))
    page.click("text=上传并预览")
    preview = page.locator("[data-testid=preview]")
    preview.wait_for()
    assert "不是电话" in preview.inner_text()  # the bad phone, named with its column
    page.click("[data-testid=commit]")
    page.locator(".alert-danger, .alert-warning, .alert-error").first.wait_for()
    assert not Customer.objects.exists()  # nothing until the bad row is skipped
    page.check("[data-testid=skip-errors]")
    page.click("[data-testid=commit]")
    page.locator("[data-testid=progress] .alert-success").wait_for()
    assert list(Customer.objects.values_list("name", flat=True)) == ["杭州云帆科技有限公司"]
    page.goto(f"{live_server.url}/customers/?q=yfkj")
    assert "杭州云帆科技有限公司" in page.locator("table").inner_text()
