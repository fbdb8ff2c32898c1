"""Customer lifecycle figures for a period and a scope (company, a team, a rep), computed in the
database, each with its definition (the churn warnings are in `churn`).

Money figures (revenue, orders, average order, margin) count the orders credited to the scope
(the order's owner and team); customer figures (new, repurchase, churn, lifetime,
satisfaction) count the customers the scope owns now.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.customers.models import Customer

from .models import Order, SurveyAnswer

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
