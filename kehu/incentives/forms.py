from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.targets import periods

from .models import CommissionPlan
from .services import METRICS

BLANK_BANDS = 2  # empty band rows offered below the plan's own


class PlanForm(forms.Form):
    """The plan's own fields; numbers stay text here so that the service names the problem."""

    name = forms.CharField(label=_("name"), max_length=80)
    metric = forms.ChoiceField(label=_("metric"))
    period = forms.ChoiceField(label=_("period"), choices=periods.Kind.choices)
    team = forms.ModelChoiceField(
        label=_("team"),
        queryset=Team.objects.order_by("path"),
        required=False,
        empty_label=_("Everybody"),
        help_text=_("The team and the teams under it; blank: everybody."),
    )
    mode = forms.ChoiceField(
        label=_("mode"), choices=CommissionPlan.Mode.choices, widget=forms.RadioSelect
    )
    accelerator = forms.CharField(
        label=_("accelerator above 100%"),
        help_text=_("Multiplies the rate above 100% attainment (1.00: none)."),
    )
    cap_amount = forms.CharField(label=_("payout cap (CNY)"), required=False)
    cap_percent = forms.CharField(label=_("attainment counted at most (%)"), required=False)
    active = forms.BooleanField(label=_("active"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(CommissionPlan._meta.get_field("metric").choices)
        self.fields["metric"].choices = [(m.value, labels[m.value]) for m in METRICS]
        for name, field in self.fields.items():
            if name in ("active", "mode"):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")

    @staticmethod
    def initial_for(plan: CommissionPlan | None) -> dict:
        if plan is None:
            return {"period": periods.Kind.QUARTER, "mode": "whole", "accelerator": "1.00"}
        return {
            "name": plan.name,
            "metric": plan.metric,
            "period": plan.period,
            "team": plan.team_id,
            "mode": plan.mode,
            "accelerator": plan.accelerator,
            "cap_amount": plan.cap_amount if plan.cap_amount is not None else "",
            "cap_percent": plan.cap_percent if plan.cap_percent is not None else "",
            "active": plan.active,
        }


def bands_from(post) -> list[dict]:
    """The band rows of a posted form: band-1-from, band-1-rate, band-2-from, …"""
    rows = []
    n = 1
    while f"band-{n}-from" in post or f"band-{n}-rate" in post:
        rows.append(
            {"from_percent": post.get(f"band-{n}-from"), "rate": post.get(f"band-{n}-rate")}
        )
        n += 1
    return rows


def bands_of(plan: CommissionPlan | None) -> list[dict]:
    if plan is None:
        rows = [{"from_percent": "0", "rate": "0"}]
    else:
        rows = [{"from_percent": b.from_percent, "rate": b.rate} for b in plan.bands.all()]
    return rows + [{} for _ in range(BLANK_BANDS)]
