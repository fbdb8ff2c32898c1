"""Churn warnings: the customers at risk of leaving, each with its reasons (buying less often
than they used to, open complaints, low satisfaction answers, overdue follow-ups), strongest
first; and the churned customers to win back."""

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import access
from kehu.customers.models import Customer

from .lifecycle import Scope
from .models import Feedback, SurveyAnswer

# --- churn warnings -------------------------------------------------------------------------
REASONS = {
    "frequency": gettext_lazy("falling purchase frequency"),
    "overdue": gettext_lazy("overdue follow-ups"),
    "complaint": gettext_lazy("open complaints"),
    "satisfaction": gettext_lazy("low satisfaction"),
}
WEIGHTS = {"frequency": 3, "complaint": 2, "satisfaction": 2, "overdue": 1}


@dataclass
class Warning:
    customer: Customer
    reasons: list = field(default_factory=list)  # (key, text, evidence url)
    score: float = 0


def churn_warnings(actor, scope: Scope | None = None, limit: int = 200) -> tuple[list, int]:
    """Customers at risk among those the actor sees (not yet churned), ranked by the weight of
    their reasons and then by what they buy; each reason says why and links to its evidence.
    Returns (the first `limit` warnings, how many customers are at risk).

    Each reason is read from its own small side — the customer row's purchase due date and
    next follow-up, the open complaints, the recent low answers — joined to the customers in
    scope, never by probing every customer in scope; the counts shown beside a reason are
    fetched for the listed customers only."""
    risk = _risk(actor, scope)
    scores = risk.scores
    # the strongest, ties broken by what they buy
    top = [cid for cid, _s in heapq.nlargest(limit * 3, scores.items(), key=itemgetter(1))]
    rows = {c.pk: c for c in Customer.objects.filter(pk__in=top).select_related("owner", "team")}
    top = sorted(
        (cid for cid in top if cid in rows),
        key=lambda cid: (-scores[cid], -rows[cid].purchase_total),
    )[:limit]
    return _warnings(risk, top, rows), len(scores)


def every_churn_warning(actor, scope: Scope | None = None, chunk: int = 2000):
    """Every customer at risk, in the page's order (churn_warnings without its limit), for the
    export: the customers are read `chunk` at a time, so memory and queries grow by the chunk,
    never by the customer."""
    risk = _risk(actor, scope)
    ids = list(risk.scores)
    totals = {}
    for start in range(0, len(ids), chunk):
        totals.update(
            Customer.objects.filter(pk__in=ids[start : start + chunk]).values_list(
                "pk", "purchase_total"
            )
        )
    ranked = sorted(
        (cid for cid in ids if cid in totals),
        key=lambda cid: (-risk.scores[cid], -totals[cid]),
    )
    for start in range(0, len(ranked), chunk):
        part = ranked[start : start + chunk]
        rows = Customer.objects.select_related("owner", "team").in_bulk(part)
        yield from _warnings(risk, [cid for cid in part if cid in rows], rows)


@dataclass
class _Risk:
    """Who is at risk and why: the score of each customer, and each reason's customers."""

    today: date
    scores: dict
    falling: set
    late: dict  # customer → days its earliest open follow-up is late
    complaints: dict  # customer → (open complaints, worst severity)
    unhappy: dict  # customer → (low answers, lowest score)


def _risk(actor, scope: Scope | None) -> _Risk:
    today = timezone.localdate()
    churn_cutoff = today - timedelta(days=settings.KEHU_CHURN_DAYS)
    # not churned: neither marked so nor without an order for KEHU_CHURN_DAYS (the win-back
    # list's)
    scoped = ~Q(status=Customer.Status.CHURNED)
    visible = access.visible_customers(actor)
    if scope is not None and scope.user:
        scoped &= Q(owner=scope.user)
    elif scope is not None and scope.team:
        teams = access.team_subtree_ids(scope.team)
        visible = access.visible_customers_in_teams(actor, teams)
        scoped &= Q(team_id__in=teams)
    # and not churned by time either: no orders, or the last within KEHU_CHURN_DAYS
    cond = scoped & (Q(last_purchase_on__isnull=True) | Q(last_purchase_on__gt=churn_cutoff))
    # reason by reason: who has it (and what the ranking needs), then one score per customer
    falling = set(
        visible.filter(
            scoped, purchase_due_on__lt=today, last_purchase_on__gt=churn_cutoff
        ).values_list("pk", flat=True)
    )
    # the customer row keeps its earliest open follow-up: before today means one is overdue
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    behind = visible.filter(cond, next_followup_at__lt=midnight)
    if connection.vendor == "postgresql":  # the local due day: dates convert cheaply there
        late = {
            cid: (today - day).days
            for cid, day in behind.values_list("pk", TruncDate("next_followup_at"))
        }
    else:  # SQLite's TruncDate is a Python function per row: the datetimes are cheaper
        # (due at 09:00 of its day: a day before midnight today is one day late, and so on)
        late = {
            cid: (midnight - first).days + 1
            for cid, first in behind.values_list("pk", "next_followup_at")
        }
    joined = access.on_customer(cond)
    complaints = {
        cid: (n, worst)
        for cid, n, worst in access.visible(actor, Feedback)
        .filter(joined, kind=Feedback.Kind.COMPLAINT, status__in=Feedback.OPEN_STATUSES)
        .values_list("customer_id")
        .annotate(n=Count("id"), worst=Max("severity"))
        .order_by()
    }
    since = today - timedelta(days=settings.KEHU_SATISFACTION_WINDOW_DAYS)
    unhappy = {
        cid: (n, worst)
        for cid, worst, n in access.visible(actor, SurveyAnswer)
        .filter(joined)
        .filter(low_answer(settings.KEHU_LOW_CSAT, since))
        .values_list("customer_id")
        .annotate(worst=Min("score"), n=Count("id"))
        .order_by()
    }
    scores: dict[int, float] = dict.fromkeys(falling, WEIGHTS["frequency"])
    for cid, days in late.items():  # up to one more for a month or more overdue
        scores[cid] = scores.get(cid, 0) + WEIGHTS["overdue"] + min(days, 30) / 30
    for cid, (_n, worst) in complaints.items():  # and half the worst severity
        scores[cid] = scores.get(cid, 0) + WEIGHTS["complaint"] + worst / 2
    for cid in unhappy:
        scores[cid] = scores.get(cid, 0) + WEIGHTS["satisfaction"]
    return _Risk(today, scores, falling, late, complaints, unhappy)


def _warnings(risk: _Risk, ids: list, rows: dict) -> list[Warning]:
    """The warnings of the customers `ids` (in that order; `rows` has them), each with its
    reasons; the overdue follow-ups are counted for these customers only."""
    from kehu.followups.models import FollowUp

    today, late = risk.today, risk.late
    overdue = {
        cid: (n, first)
        for cid, n, first in FollowUp.objects.filter(
            customer_id__in=[cid for cid in ids if cid in late],
            status__in=FollowUp.OPEN,
            due_on__lt=today,
        )
        .values_list("customer_id")
        .annotate(n=Count("id"), first=Min("due_on"))
        .order_by()
    }
    out = []
    for cid in ids:
        customer = rows[cid]
        signals = {}
        if cid in risk.falling:
            signals["frequency"] = (customer.purchase_due_on, customer.last_purchase_on)
        if cid in risk.complaints:
            signals["complaint"] = risk.complaints[cid]
        if cid in risk.unhappy:
            signals["satisfaction"] = risk.unhappy[cid]
        if cid in late:
            signals["overdue"] = overdue.get(cid, (1, today - timedelta(days=late[cid])))
        out.append(Warning(customer, _reasons(customer, signals, today), risk.scores[cid]))
    return out


def _reasons(customer: Customer, s: dict, today: date) -> list:
    url = reverse("customers:detail", args=[customer.pk])
    out = []
    if "frequency" in s:
        due, last = s["frequency"]
        out.append(
            (
                "frequency",
                _("No order since %(last)s; by its own rhythm one was due by %(due)s.")
                % {"last": last, "due": due},
                f"{url}#orders",
            )
        )
    if "complaint" in s:
        n, worst = s["complaint"]
        out.append(
            (
                "complaint",
                _("%(n)s open complaint(s), the worst %(severity)s.")
                % {"n": n, "severity": Feedback.Severity(worst).label},
                reverse("sales:feedback") + f"?customer={customer.pk}&open=1",
            )
        )
    if "satisfaction" in s:
        n, worst = s["satisfaction"]
        out.append(
            (
                "satisfaction",
                _("%(n)s low satisfaction answer(s) lately, the lowest %(score)s.")
                % {"n": n, "score": worst},
                f"{url}#satisfaction",
            )
        )
    if "overdue" in s:
        n, first = s["overdue"]
        out.append(
            (
                "overdue",
                _("%(n)s overdue follow-up(s), the oldest due %(day)s.") % {"n": n, "day": first},
                f"{url}#followups",
            )
        )
    return out


def low_answer(low: int, since: date | None = None) -> Q:
    """A low answer (CSAT at or under `low`, or an NPS detractor), answered since `since`: each
    kind with its own date condition, so the (kind, answered on) index serves both."""
    recent = {"answered_on__gte": since} if since else {}
    return Q(kind=SurveyAnswer.Kind.CSAT, score__lte=low, **recent) | Q(
        kind=SurveyAnswer.Kind.NPS, score__lte=6, **recent
    )


def churned_customers(actor, scope: Scope | None = None):
    """The win-back list: customers marked churned or without an order for KEHU_CHURN_DAYS."""
    cutoff = timezone.localdate() - timedelta(days=settings.KEHU_CHURN_DAYS)
    qs = access.visible_customers(actor).filter(
        Q(status=Customer.Status.CHURNED) | Q(purchase_count__gt=0, last_purchase_on__lte=cutoff)
    )
    if scope is not None and scope.user:
        qs = qs.filter(owner=scope.user)
    elif scope is not None and scope.team:
        qs = qs.filter(team_id__in=access.team_subtree_ids(scope.team))
    return qs
