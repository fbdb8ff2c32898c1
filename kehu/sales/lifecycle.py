"""Customer lifecycle figures for a period and a scope (company, a team, a rep), computed in the
database, each with its definition; and the churn warnings, each customer with its reasons.

Money figures (revenue, orders, average order, margin) count the orders credited to the scope
(the order's owner and team); customer figures (new, repurchase, churn, lifetime,
satisfaction) count the customers the scope owns now.
"""

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.customers.models import Customer

from .models import Feedback, Order, SurveyAnswer

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Scope:
    """Whose figures: everyone's (both empty), a team subtree's, or one person's."""

    team: Team | None = None
    user: User | None = None

    @property
    def is_company(self) -> bool:
        return not self.user and not self.team

    @property
    def label(self) -> str:
        if self.user:
            return str(self.user)
        if self.team:
            return str(self.team)
        return str(_("Whole company"))

    def where(self, alias: str) -> tuple[str, list]:
        """SQL condition on a table with owner_id and team_id (orders or customers)."""
        if self.user:
            return f"{alias}.owner_id = %s", [self.user.pk]
        if self.team:
            ids = access.team_subtree_ids(self.team)
            return f"{alias}.team_id IN ({', '.join(['%s'] * len(ids))})", ids
        return "1 = 1", []


def scope_for(actor, team: Team | None = None, user: User | None = None) -> Scope:
    """The scope asked for, if the actor may see it: directors anything, managers their subtree
    and its people, reps themselves (asking for nothing gives them their own). 404 otherwise."""
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        return Scope(team=team, user=user)
    subtree = set(access.team_subtree_ids(actor.team)) if actor.team_id else set()
    if actor.is_manager or actor.is_read_only:
        if user is not None and (user.pk == actor.pk or user.team_id in subtree):
            return Scope(user=user)
        if team is not None and team.pk in subtree:
            return Scope(team=team)
        if user is None and team is None and actor.team:
            return Scope(team=actor.team)
        raise Http404
    if (user is None or user.pk == actor.pk) and team is None:
        return Scope(user=actor)
    raise Http404


@dataclass
class Figure:
    key: str
    label: str
    value: object  # Decimal, int, float or None (no data)
    definition: str
    unit: str = ""  # "%", "CNY", "days"
    parts: dict = field(default_factory=dict)  # numerator/denominator shown beside a rate

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _fetch(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _d(day: date) -> str | date:
    return day if connection.vendor == "postgresql" else day.isoformat()


ORDERS = Order._meta.db_table
CUSTOMERS = Customer._meta.db_table


def money_figures(scope: Scope, start: date, end: date) -> dict:
    where, params = scope.where("o")
    total, count, margin = _fetch(
        f"SELECT COALESCE(SUM(o.amount), 0), COUNT(*), COALESCE(SUM(o.margin), 0) "
        f"FROM {ORDERS} o WHERE o.order_date BETWEEN %s AND %s AND {where}",
        [_d(start), _d(end), *params],
    )
    total = Decimal(str(total)).quantize(CENT)
    return {
        "revenue": total,
        "orders": count,
        "margin": Decimal(str(margin)).quantize(CENT),
        "average_order": (total / count).quantize(CENT) if count else None,
    }


def new_customers(scope: Scope, start: date, end: date) -> int:
    where, params = scope.where("c")
    return _fetch(
        f"SELECT COUNT(*) FROM {CUSTOMERS} c WHERE c.first_purchase_on BETWEEN %s AND %s "
        f"AND {where}",
        [_d(start), _d(end), *params],
    )[0]


def repurchase(scope: Scope, start: date, end: date) -> tuple[int, int]:
    """(customers who ordered in the period, those of them who ordered more than once: twice in
    the period, or once in it after an earlier order)."""
    return buyers_and_churn(scope, start, end)[:2]


def churn(scope: Scope, start: date, end: date, today: date | None = None) -> tuple[int, int]:
    """(customers active at the start, those of them churned by the end). Active: an order in
    the KEHU_CHURN_DAYS before the start. Churned: no order in the KEHU_CHURN_DAYS up to the
    end (today, for a period not over yet), or marked churned when KEHU_CHURN_MARKED."""
    return buyers_and_churn(scope, start, end, today)[2:]


def buyers_and_churn(
    scope: Scope, start: date, end: date, today: date | None = None
) -> tuple[int, int, int, int]:
    """Repurchase's (buyers, again) and churn's (active, churned) in one pass over the orders
    from KEHU_CHURN_DAYS before the start to the end, grouped by customer (two passes took
    twice as long at a million customers). A period yet to come has no churn to count."""
    days = settings.KEHU_CHURN_DAYS
    today = today or timezone.localdate()
    churn_end = min(end, today)
    active_from = start - timedelta(days=days - 1)
    recent_from = churn_end - timedelta(days=days - 1)
    counts_churn = 1 if start <= today else 0
    where, params = scope.where("c")
    marked = "OR c.status = 'churned'" if settings.KEHU_CHURN_MARKED else ""
    row = _fetch(
        "SELECT COALESCE(SUM(CASE WHEN w.n_in > 0 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN w.n_in >= 2 OR (w.n_in = 1 AND c.first_purchase_on < %s) "
        "THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN w.before = 1 THEN %s ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN w.before = 1 AND (w.recent = 0 {marked}) THEN %s ELSE 0 END), 0) "
        "FROM (SELECT o.customer_id, "
        "SUM(CASE WHEN o.order_date >= %s THEN 1 ELSE 0 END) AS n_in, "
        "MAX(CASE WHEN o.order_date < %s THEN 1 ELSE 0 END) AS before, "
        "MAX(CASE WHEN o.order_date >= %s AND o.order_date <= %s THEN 1 ELSE 0 END) AS recent "
        f"FROM {ORDERS} o WHERE o.order_date >= %s AND o.order_date <= %s "
        "GROUP BY o.customer_id) w "
        f"JOIN {CUSTOMERS} c ON c.id = w.customer_id WHERE {where}",
        [
            _d(start),
            counts_churn,
            counts_churn,
            _d(start),
            _d(start),
            _d(recent_from),
            _d(churn_end),
            _d(min(active_from, start)),
            _d(end),
            *params,
        ],
    )
    return tuple(int(v) for v in row)


def lifetime_days(scope: Scope, today: date | None = None) -> tuple[float | None, int]:
    """(average days from first to last order, customers counted) over the customers whose
    lifetime is over: churned (no order for KEHU_CHURN_DAYS)."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.KEHU_CHURN_DAYS)
    where, params = scope.where("c")
    if connection.vendor == "postgresql":
        span = "(c.last_purchase_on - c.first_purchase_on)"
    else:
        span = "(julianday(c.last_purchase_on) - julianday(c.first_purchase_on))"
    average, count = _fetch(
        # a last order date means orders; with the scope's columns, from one index alone
        f"SELECT AVG({span}), COUNT(*) FROM {CUSTOMERS} c "
        f"WHERE c.last_purchase_on <= %s AND {where}",
        [_d(cutoff), *params],
    )
    return (round(float(average), 1) if average is not None else None), count


def satisfaction(scope: Scope, start: date, end: date) -> dict:
    """Average CSAT and NPS (promoters 9–10 minus detractors 0–6, in % of answers)."""
    where, params = scope.where("c")
    row = _fetch(
        "SELECT "
        "SUM(CASE WHEN a.kind = 'csat' THEN a.score ELSE 0 END), "
        "SUM(CASE WHEN a.kind = 'csat' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN a.kind = 'nps' AND a.score >= 9 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN a.kind = 'nps' AND a.score <= 6 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN a.kind = 'nps' THEN 1 ELSE 0 END) "
        f"FROM {SurveyAnswer._meta.db_table} a "
        # the company's: no need to read each answer's customer
        + ("" if scope.is_company else f"JOIN {CUSTOMERS} c ON c.id = a.customer_id ")
        + f"WHERE a.answered_on BETWEEN %s AND %s AND {where}",
        [_d(start), _d(end), *params],
    )
    csat_sum, csat_n, promoters, detractors, nps_n = (v or 0 for v in row)
    return {
        "csat": (Decimal(csat_sum) / csat_n).quantize(CENT) if csat_n else None,
        "csat_answers": csat_n,
        "nps": round((promoters - detractors) * 100 / nps_n, 1) if nps_n else None,
        "nps_answers": nps_n,
        "promoters": promoters,
        "detractors": detractors,
    }


def figures(scope: Scope, start: date, end: date, today: date | None = None) -> list[Figure]:
    """Every period figure of the lifecycle page and the annual plan, with its definition."""
    days = settings.KEHU_CHURN_DAYS
    money = money_figures(scope, start, end)
    buyers, again, active, churned = buyers_and_churn(scope, start, end, today)
    life, life_n = lifetime_days(scope, today)
    sat = satisfaction(scope, start, end)
    return [
        Figure(
            "new_customers",
            _("new customers"),
            new_customers(scope, start, end),
            _("Customers whose first order falls in the period."),
        ),
        Figure(
            "revenue",
            _("revenue"),
            money["revenue"],
            _("Sum of the orders dated in the period, credited to the order's owner."),
            "CNY",
            {"orders": money["orders"]},
        ),
        Figure(
            "average_order",
            _("average order"),
            money["average_order"],
            _("Revenue divided by the number of orders in the period."),
            "CNY",
        ),
        Figure(
            "repurchase_rate",
            _("repurchase rate"),
            _pct(again, buyers),
            _(
                "Of the customers who ordered in the period, the share who ordered more than "
                "once: twice or more in the period, or again after an earlier order."
            ),
            "%",
            {"part": again, "whole": buyers},
        ),
        Figure(
            "churn_rate",
            _("churn rate"),
            _pct(churned, active),
            _(
                "Of the customers active at the start (an order in the %(days)s days before), the "
                "share churned by the end: no order in the %(days)s days up to it%(marked)s."
            )
            % {
                "days": days,
                "marked": _(", or marked churned") if settings.KEHU_CHURN_MARKED else "",
            },
            "%",
            {"part": churned, "whole": active},
        ),
        Figure(
            "lifetime",
            _("customer lifetime"),
            life,
            _(
                "Average days from the first to the last order of the customers whose lifetime "
                "is over (no order for %(days)s days); %(count)s customers."
            )
            % {"days": days, "count": life_n},
            "days",
        ),
        Figure(
            "csat",
            _("average CSAT"),
            sat["csat"],
            _("Average of the CSAT answers (1–5) given in the period; %(count)s answers.")
            % {"count": sat["csat_answers"]},
        ),
        Figure(
            "nps",
            _("NPS"),
            sat["nps"],
            _(
                "Promoters (9–10) minus detractors (0–6) in %% of the %(count)s NPS answers "
                "given in the period."
            )
            % {"count": sat["nps_answers"]},
        ),
    ]


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
        .filter(_low_answer(settings.KEHU_LOW_CSAT, since))
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


def _low_answer(low: int, since: date | None = None) -> Q:
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
