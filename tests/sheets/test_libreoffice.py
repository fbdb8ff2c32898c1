"""A real spreadsheet program reads what Kehu writes: LibreOffice (headless) converts an
exported .xlsx to CSV and the values come back as they were."""

import csv
import os
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.sheets import export

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture
def soffice():
    if SOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (libreoffice-calc) is missing: .ci/run installs it")
        pytest.skip("LibreOffice is not installed (CI installs libreoffice-calc)")
    return SOFFICE


def test_libreoffice_reads_the_exported_customer_sheet(people, login, soffice, tmp_path):
    customer = people.customer(
        people.rep, "杭州云帆科技有限公司", cooperation_amount=Decimal("1234567.89")
    )
    Customer.objects.filter(pk=customer.pk).update(
        last_contact_at=timezone.make_aware(datetime(2023, 10, 15, 9, 30)), tier="A"
    )
    people.customer(people.rep, "=cmd|' /C calc'!A0 有限公司")
    response = login(people.rep).get(
        "/customers/export/?cols=name,tier,cooperation_amount,last_contact_at&sort=name"
    )
    rows = as_shown(soffice, tmp_path, response.content)
    assert rows[0][:2] == ["客户编号", "客户名称"]
    by_name = {r[1]: r for r in rows[1:]}
    row = by_name["杭州云帆科技有限公司"]
    assert row[0] == str(customer.pk)
    assert row[2] == "A"
    assert row[3].replace(",", "") == "1234567.89"  # a number cell with the money format
    assert row[4].startswith("2023-10-15")  # a real date cell, shown in the sheet's format
    # a formula-looking name stays text: LibreOffice shows it, it does not run it
    assert "=cmd|' /C calc'!A0 有限公司" in by_name


def test_a_column_mixing_counts_and_amounts_shows_each_as_it_is(soffice, tmp_path):
    columns = [export.Column("指标"), export.Column("目标", export.FIGURE)]
    content = export.xlsx_bytes(
        "达成", columns, [["新客户数", 12], ["赢单金额", Decimal("1500.5")]]
    )
    assert as_shown(soffice, tmp_path, content)[1:] == [["新客户数", "12"], ["赢单金额", "1500.5"]]


def as_shown(soffice, tmp_path, content: bytes) -> list[list[str]]:
    """The first sheet as LibreOffice shows it (its CSV export writes the displayed text)."""
    source = tmp_path / "export.xlsx"
    source.write_bytes(content)
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with open(tmp_path / "export.csv", encoding="utf-8") as f:
        return list(csv.reader(f))
