"""The tier reviews queue and the tier history report as sheets: every row the page's filters
select, read from the same access-scoped queries the pages show."""

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.followups.exports import customer_columns
from kehu.sheets import export
from kehu.sheets.downloads import verbose

from .models import TierPolicy, TierProposal, TierRun, TierSnapshot

CHUNK = 2000


# --- the review queue -----------------------------------------------------------------------
def review_columns() -> list[export.Column]:
    tiers = list(Customer.TIERS)
    return [
        *customer_columns(),
        export.Column(_("owner")),
        export.Column(verbose(TierProposal, "from_tier"), choices=tiers),
        export.Column(verbose(TierProposal, "to_tier"), choices=tiers),
        export.Column(verbose(TierProposal, "score"), export.NUMBER),
        export.Column(verbose(TierProposal, "round"), export.INTEGER),
        export.Column(verbose(TierProposal, "reason"), width=40),
    ]


def review_rows(proposals) -> Iterator[list]:
    """`proposals` is the page's (queries.proposals_to_review), already scoped, ordered and
    joined to the customer, its owner and the proposer; read in chunks (a run over the whole
    book can propose tens of thousands of changes)."""
    for p in proposals.iterator(chunk_size=CHUNK):
        if p.run_id:
            reason = _("re-tiering run")
        elif p.proposed_by:
            reason = f"{p.proposed_by}: {p.reason}"
        else:
            reason = p.reason
        yield [
            p.customer_id,
            p.customer.name,
            str(p.customer.owner) if p.customer.owner else "",
            p.from_tier,
            p.to_tier,
            p.score,
            p.round,
            reason,
        ]


# --- the tier history -----------------------------------------------------------------------
def history_sheets(runs: list[TierRun], labels: list[str], transitions: dict, over_time: dict):
    """The report's tables as (title, columns, rows), the transition matrix (the one the
    page's since/until filter) first: the distribution per run and customers per tier over
    time (the chart's numbers) follow."""
    return [
        _transition_sheet(transitions),
        _runs_sheet(runs, labels),
        _over_time_sheet(over_time),
    ]


def _transition_sheet(transitions: dict):
    columns = [
        export.Column(f"{_('from tier')} \\ {_('to tier')}", width=16),
        *(export.Column(label, export.INTEGER) for label in transitions["labels"]),
    ]
    rows = ([before, *row.values()] for before, row in transitions["matrix"].items())
    return _("Tier transitions"), columns, rows


def _runs_sheet(runs: list[TierRun], labels: list[str]):
    columns = [
        export.Column(verbose(TierRun, "started_at"), export.DATETIME),
        export.Column(str(TierPolicy._meta.verbose_name), width=20),
        *(export.Column(label, export.INTEGER) for label in labels),
    ]
    rows = (
        [r.started_at, str(r.policy), *(r.distribution.get(label) for label in labels)]
        for r in runs
    )
    return _("Distribution per re-tiering run"), columns, rows


def _over_time_sheet(over_time: dict):
    series = over_time["series"]
    columns = [
        export.Column(verbose(TierSnapshot, "day"), export.DATE),
        *(export.Column(tier, export.INTEGER) for tier in series),
    ]
    rows = (
        [date.fromisoformat(day), *(values[i] for values in series.values())]
        for i, day in enumerate(over_time["days"])
    )
    return _("Customers per tier over time"), columns, rows
