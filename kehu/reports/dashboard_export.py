"""The home dashboard as a workbook: its KPI tiles as a two-column sheet (figure, value) and
one sheet per chart with the figures behind it, for the same period (?period=) and the same
role's scope as the page, from the same (cached) figures. The two charts that show only their
first bars (attainment, overdue customers by owner) are read again in full when the chart is
full, so that the sheet has every row."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.customers.models import Customer
from kehu.pipeline.models import Deal
from kehu.sheets import export
from kehu.sheets.downloads import verbose
from kehu.sheets.export import Column

from . import dashboard


def title(data: dict, scope_label: str) -> str:
    """The file's name: the page, whose figures and which period."""
    return f"{_('Dashboard')} {scope_label} {data['period'].label}"


def _with_unit(label, unit: str) -> str:
    if not unit:
        return str(label)
    unit = _("CNY") if unit == "CNY" else unit
    return _("%(figure)s (%(unit)s)") % {"figure": label, "unit": unit}


# --- the KPI tiles --------------------------------------------------------------------------
def kpi_columns() -> list[Column]:
    return [
        Column(_("figure"), width=30),
        Column(pgettext("a figure's value", "value"), export.NUMBER, width=16),
    ]


def kpi_rows(data: dict, cards: list[dict], scope_label: str) -> list[list]:
    """Whose and which period first, then the tiles in the page's order (this period's
    values; money in CNY, rates in %), then My day's counts where the page shows them."""
    period = data["period"]
    rows = [
        [_("scope"), scope_label],
        [_("period"), f"{period.label} ({period.start} – {period.end})"],
    ]
    rows += [[_with_unit(c["label"], c["unit"]), c["value"]] for c in cards]
    my_day = data["charts"].get("my_day")
    if my_day:
        for key, label in (
            ("overdue", _("Overdue")),
            ("today", _("Today")),
            ("upcoming", _("Upcoming")),
        ):
            rows.append([f"{_('My day')} · {label}", my_day[key]])
    return rows


# --- the charts -----------------------------------------------------------------------------
def _tiers(c: dict) -> tuple:
    columns = [Column(verbose(Customer, "tier")), Column(_("customers"), export.INTEGER)]
    rows = [[tier or _("no tier"), n] for tier, n in c["tiers"]]
    return _("Tier distribution"), columns, rows


def _stages(c: dict) -> tuple:
    columns = [
        Column(verbose(Deal, "stage"), width=16),
        Column(_("deals"), export.INTEGER),
        Column(_("amount (CNY)"), export.MONEY),
    ]
    rows = [[s["name"], s["n"], s["amount"]] for s in c["stages"]]
    return _("Open pipeline by stage"), columns, rows


def _funnel(c: dict) -> tuple:
    columns = [Column(verbose(Deal, "stage"), width=16), Column(_("deals"), export.INTEGER)]
    rows = [[f["name"], f["n"]] for f in c["funnel"]]
    return _("Funnel of the period's deals"), columns, rows


def _channels(c: dict) -> tuple:
    columns = [
        Column(verbose(Deal, "channel"), width=16),
        Column(_("deals"), export.INTEGER),
        Column(_("won"), export.INTEGER),
        Column(_("conversion (%)"), export.NUMBER),
    ]
    rows = [
        [r["name"] or "—", r["deals"], r["won"], round(r["rate"] * 100, 1)] for r in c["channels"]
    ]
    return _("Conversion by channel"), columns, rows


def _attainment(attainment: list[dict]) -> tuple:
    columns = [
        Column(_("Scope"), width=20),
        Column(_("metric"), width=14),
        Column(_("Target"), export.FIGURE),  # amounts and counts, by the row's metric
        Column(_("Actual"), export.FIGURE),
        Column(_("attainment (%)"), export.NUMBER),
    ]
    rows = [
        [a["who"] or _("company"), a["metric_label"], a["amount"], a["actual"], a["percent"]]
        for a in attainment
    ]
    return _("Attainment"), columns, rows


def _retention(data: dict) -> tuple:
    columns = [
        Column(_("period"), width=16),
        Column(_with_unit(_("Repurchase rate"), "%"), export.NUMBER),
        Column(_with_unit(_("Churn rate"), "%"), export.NUMBER),
    ]
    rows = [
        [p.label, figures["repurchase_rate"], figures["churn_rate"]]
        for p, figures in ((data["previous"], data["before"]), (data["period"], data["current"]))
    ]
    return _("Repurchase and churn"), columns, rows


def _satisfaction(c: dict) -> tuple:
    columns = [
        Column(_("month")),
        Column(_("Average CSAT"), export.NUMBER),
        Column(_("answers"), export.INTEGER),
    ]
    rows = [[f"{m['month']:%Y-%m}", m["csat"], m["answers"]] for m in c["satisfaction"]]
    return _("Satisfaction by month"), columns, rows


def _overdue(overdue: list[dict]) -> tuple:
    columns = [Column(_("owner"), width=16), Column(_("customers"), export.INTEGER)]
    rows = [[r["name"], r["n"]] for r in overdue]
    return _("Customers with an overdue follow-up, by owner"), columns, rows


def _in_full(actor, data: dict) -> tuple[list[dict], list[dict]]:
    """The attainment and overdue-by-owner rows, all of them: the cached chart's when it is
    not full (it is then the whole list), read again without the limit otherwise."""
    c, scope, period = data["charts"], data["scope"], data["period"]
    attainment = c["attainment"]
    if len(attainment) >= dashboard.ATTAINMENT_BARS:
        attainment = dashboard.attainment(actor, scope, period, data["today"], limit=None)
    overdue = c["overdue_by_owner"]
    if len(overdue) >= dashboard.TOP_OWNERS:
        overdue = dashboard.overdue_by_owner(actor, scope, limit=None)
    return attainment, overdue


def workbook(actor, data: dict, cards: list[dict], scope_label: str) -> list:
    """(sheet, columns, rows) for each table of the page: the KPIs first (the CSV's sheet),
    then the charts in the page's order."""
    c = data["charts"]
    attainment, overdue = _in_full(actor, data)
    return [
        (_("Key figures"), kpi_columns(), kpi_rows(data, cards, scope_label)),
        _tiers(c),
        _stages(c),
        _funnel(c),
        _channels(c),
        _attainment(attainment),
        _retention(data),
        _satisfaction(c),
        _overdue(overdue),
    ]
