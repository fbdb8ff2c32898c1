"""The dashboard's figures as the page shows them: KPI cards with their change and link, and
ECharts options whose points carry the URL of the list behind them (`url` on each data item,
opened on click by the page's script)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from . import dashboard


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def _who(scope: dashboard.Scope) -> dict:
    """The customer list's filter for the scope's book."""
    sc = scope.figures
    if sc.user:
        return {"owner": sc.user.pk}
    if sc.team:
        return {"team": sc.team.pk}
    return {}


def _lifecycle_who(scope: dashboard.Scope) -> dict:
    sc = scope.figures
    if sc.user:
        return {"user": sc.user.pk}
    if sc.team:
        return {"team": sc.team.pk}
    return {}


def links(data: dict) -> dict:
    scope, period = data["scope"], data["period"]
    since, until = period.start.isoformat(), period.end.isoformat()
    lifecycle = _url("sales:lifecycle", start=since, end=until, **_lifecycle_who(scope))
    return {
        "lifecycle": lifecycle,
        "orders": _url(
            "sales:orders", since=since, until=until, mine=1 if scope.level == "me" else None
        ),
        "interactions": _url(
            "followups:interactions", scope=scope.followups, since=since, until=until
        ),
        "overdue": _url("followups:plans", scope=scope.followups, status="overdue"),
        "analytics": _url("pipeline:analytics", since=since, until=until, **_analytics_who(scope)),
        "my_day": reverse("followups:today"),
        "targets": _url("targets:board", period=period.kind, at=period.key),
    }


def _analytics_who(scope: dashboard.Scope) -> dict:
    sc = scope.figures
    if sc.user:
        return {"owner": sc.user.pk}
    if sc.team:
        return {"team": sc.team.pk}
    return {}


def cards(data: dict, url: dict) -> list[dict]:
    now, before = data["current"], data["before"]

    def card(key, label, unit="", link=None, detail="", compare=True):
        value = now[key]
        previous = before.get(key) if compare else None
        return {
            "key": key,
            "label": label,
            "value": value,
            "previous": previous,
            "change": dashboard.change(value, previous) if compare else None,
            "unit": unit,
            "url": link,
            "detail": detail,
        }

    charts = data["charts"]
    overdue = {
        "key": "overdue_followups",
        "label": _("Overdue follow-ups"),
        "value": charts["overdue_followups"],
        "previous": None,
        "change": None,
        "unit": "",
        "url": url["overdue"],
        "detail": _("open, due before today"),
    }
    return [
        card("new_customers", _("New customers"), link=url["lifecycle"]),
        card(
            "won_amount", _("Won amount"), "CNY", detail=_("%(n)s deals") % {"n": now["deals_won"]}
        ),
        card("deals_won", _("Deals won")),
        card(
            "revenue",
            _("Revenue (orders)"),
            "CNY",
            url["orders"],
            _("%(n)s orders") % {"n": now["orders"]},
        ),
        card("interactions", _("Interactions logged"), link=url["interactions"]),
        overdue,
        card(
            "repurchase_rate",
            _("Repurchase rate"),
            "%",
            url["lifecycle"],
            "{} / {}".format(*now["repurchase_parts"]),
        ),
        card(
            "churn_rate",
            _("Churn rate"),
            "%",
            url["lifecycle"],
            "{} / {}".format(*now["churn_parts"]),
        ),
        card(
            "csat",
            _("Average CSAT"),
            link=url["lifecycle"],
            detail=_("%(n)s answers") % {"n": now["csat_answers"]},
        ),
    ]


def _bar(categories, series, *, horizontal=False, stack=None, percent=False) -> dict:
    value_axis = {"type": "value"}
    if percent:
        value_axis["axisLabel"] = {"formatter": "{value}%"}
    category_axis = {"type": "category", "data": categories, "axisLabel": {"interval": 0}}
    option = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 10, "right": 20, "top": 30, "bottom": 10, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [
            {
                "name": str(name),
                "type": "bar",
                "data": values,
                **({"stack": stack} if stack else {}),
            }
            for name, values in series
        ],
    }
    if len(series) > 1:
        option["legend"] = {"top": 0}
    return option


def chart_options(data: dict, url: dict) -> dict:
    scope, period, c = data["scope"], data["period"], data["charts"]
    who = _who(scope)
    since, until = period.start.isoformat(), period.end.isoformat()
    tiers = {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "label": {"formatter": "{b}: {c}"},
                "data": [
                    {
                        "name": tier or "—",
                        "value": n,
                        # the list cannot filter "no tier": that slice opens the whole book
                        "url": _url("customers:list", tier=tier, **who),
                    }
                    for tier, n in c["tiers"]
                ],
            }
        ],
    }
    stages = _bar(
        [s["name"] for s in c["stages"]],
        [
            (
                _("deals"),
                [
                    {
                        "value": s["n"],
                        "url": _url("pipeline:list", scope=scope.followups, stage=s["id"]),
                    }
                    for s in c["stages"]
                ],
            )
        ],
    )
    funnel = {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "left": "5%",
                "width": "70%",
                "label": {"formatter": "{b}: {c}"},
                "data": [
                    {"name": f["name"], "value": f["n"], "url": url["analytics"]}
                    for f in c["funnel"]
                ],
            }
        ],
    }
    analytics_who = _analytics_who(scope)
    channels = _bar(
        [r["name"] or "—" for r in c["channels"]],
        [
            (
                label,
                [
                    {
                        "value": r[key],
                        "url": _url(
                            "pipeline:analytics",
                            since=since,
                            until=until,
                            channel=r["id"],
                            **analytics_who,
                        ),
                    }
                    for r in c["channels"]
                ],
            )
            for label, key in ((_("deals"), "deals"), (_("won"), "won"))
        ],
    )
    attainment = _bar(
        [f"{a['who'] or _('company')} · {a['metric_label']}" for a in c["attainment"]],
        [
            (
                _("attainment rate"),
                [
                    {
                        "value": float(a["percent"] or 0),
                        "url": _url(
                            "targets:board", metric=a["metric"], period=period.kind, at=period.key
                        ),
                    }
                    for a in c["attainment"]
                ],
            )
        ],
        horizontal=True,
        percent=True,
    )
    now, before = data["current"], data["before"]
    previous = data["previous"]
    lifecycle_before = _url(
        "sales:lifecycle",
        start=previous.start.isoformat(),
        end=previous.end.isoformat(),
        **_lifecycle_who(scope),
    )
    retention = _bar(
        [_("Repurchase rate"), _("Churn rate")],
        [
            (
                previous.label,
                [
                    {"value": _float(before[k]), "url": lifecycle_before}
                    for k in ("repurchase_rate", "churn_rate")
                ],
            ),
            (
                period.label,
                [
                    {"value": _float(now[k]), "url": url["lifecycle"]}
                    for k in ("repurchase_rate", "churn_rate")
                ],
            ),
        ],
        percent=True,
    )
    satisfaction = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 10, "right": 20, "top": 20, "bottom": 10, "containLabel": True},
        "xAxis": {"type": "category", "data": [f"{m['month']:%Y-%m}" for m in c["satisfaction"]]},
        "yAxis": {"type": "value", "min": 1, "max": 5},
        "series": [
            {
                "name": _("Average CSAT"),
                "type": "line",
                "connectNulls": True,
                "data": [
                    {
                        "value": _float(m["csat"]),
                        "url": _url(
                            "sales:lifecycle",
                            start=m["month"].isoformat(),
                            end=_month_end(m["month"]).isoformat(),
                            **_lifecycle_who(scope),
                        ),
                    }
                    for m in c["satisfaction"]
                ],
            }
        ],
    }
    overdue = _bar(
        [r["name"] for r in c["overdue_by_owner"]],
        [
            (
                _("customers"),
                [
                    {
                        "value": r["n"],
                        "url": _url(
                            "customers:list", owner=r["owner_id"], overdue="on", **_team(who)
                        ),
                    }
                    for r in c["overdue_by_owner"]
                ],
            )
        ],
        horizontal=True,
    )
    return {
        "tiers": tiers,
        "stages": stages,
        "funnel": funnel,
        "channels": channels,
        "attainment": attainment,
        "retention": retention,
        "satisfaction": satisfaction,
        "overdue": overdue,
    }


def _team(who: dict) -> dict:
    """The team filter (if any) kept on a link that sets its own owner."""
    return {"team": who["team"]} if "team" in who else {}


def _float(value):
    return None if value is None else float(value)


def _month_end(first):
    from kehu.targets import periods

    return periods.end(periods.Kind.MONTH, first)
