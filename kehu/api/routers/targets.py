"""Targets the caller may see (targets.queries.visible_targets) and a target's attainment,
computed live as on the targets board."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema

from kehu.targets import queries

from ..common import Day, Id, PageParams, Text, page, page_of, responses

router = Router(tags=["targets"])


class TargetOut(Schema):
    id: int
    metric: str
    period: str
    start: date
    end: date
    scope: str
    team_id: int | None
    user_id: int | None
    amount: Decimal
    parent_id: int | None
    method: str
    locked: bool
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_scope(obj):
        return "user" if obj.user_id else "team" if obj.team_id else "company"


class AttainmentOut(Schema):
    actual: Decimal
    expected: Decimal
    forecast: Decimal
    share: Decimal
    percent: Decimal | None
    pace: Decimal | None
    gap: Decimal
    behind: bool


class TargetDetail(TargetOut):
    attainment: AttainmentOut


class TargetFilters(Schema):
    metric: Text | None = None
    period: Text | None = None
    start: Day | None = None
    team: Id | None = None
    user: Id | None = None


@router.get("", response=responses(page_of(TargetOut)), summary="Targets")
def list_targets(request, filters: Query[TargetFilters], paging: Query[PageParams]):
    qs = queries.visible_targets(request.auth)
    for key, value in filters.model_dump().items():
        if value:
            qs = qs.filter(**{f"{key}_id" if key in ("team", "user") else key: value})
    return page(qs, paging)


@router.get("/{target_id}", response=responses(TargetDetail), summary="A target and attainment")
def get_target(request, target_id: Id):
    target = queries.get_target(request.auth, target_id)
    (target.attainment,) = queries.attainment([target], target.metric, target.period, target.start)
    return target
