"""Demo targets (销售目标): this year's won-amount, new-customer and collection targets for the
company, set a fifth above last year's actuals (or this year's pace, if higher), split over the quarters by last year's
seasonality and down the team tree equally, then to people by capacity; this quarter's split
into months. Through the services, as a director would."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from kehu.accounts.models import User
from kehu.targets import metrics, periods, services
from kehu.targets.models import Target

STEPS = {"won_amount": Decimal(100_000), "collections": Decimal(100_000), "new_customers": 1}


def _raise(value, step) -> Decimal:
    raised = (Decimal(value) * Decimal("1.2") / step).quantize(Decimal(1), ROUND_HALF_UP)
    return max(raised, Decimal(1)) * step


def _down(director: User, target: Target) -> None:
    """The scope split, team by team, down to the people."""
    for child in services.decompose(director, target, "scope", _method(target)):
        if child.team_id:
            _down(director, child)


def _method(target: Target) -> str:
    """Teams equally; a team with people directly in it by their capacity."""
    people = [u for _t, u in services.child_scopes(target) if u is not None]
    return Target.Method.CAPACITY if people else Target.Method.EQUAL


def generate(director: User) -> int:
    """This year's company targets (if none) and their parts; returns how many targets."""
    today = timezone.localdate()
    year = date(today.year, 1, 1)
    quarter = periods.start_of("quarter", today)
    made = 0
    for metric, step in STEPS.items():
        if Target.objects.filter(metric=metric, period="year", start=year).exists():
            continue
        last = sum(
            metrics.actuals(
                metric, date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
            ).values(),
            Decimal(0),
        )
        # or this year's pace, where the data is mostly this year's
        so_far = sum(metrics.actuals(metric, year, today).values(), Decimal(0))
        pace = so_far / periods.elapsed_share("year", year, today)
        target = services.set_target(director, metric, "year", year, _raise(max(last, pace), step))
        quarters = services.decompose(director, target, "time", Target.Method.SHARE)
        for part in quarters:
            _down(director, part)
            if part.start == quarter:
                services.decompose(director, part, "time", Target.Method.EQUAL)
        _down(director, target)
        made = Target.objects.count()
    return made
