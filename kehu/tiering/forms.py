"""The policy editor: one row per metric (use it or not, weight, normalisation …) and up to
five tiers. Parsing only; the rules (weights add up to 100, no overlapping cut-offs …) are
checked by services.build_spec so the editor, the preview and imports agree."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from . import metrics, scoring
from .models import PolicyCriterion, TierPolicy

MAX_TIERS = 5


class RowError(Exception):
    """A row could not be parsed; the message is already on its field."""


def _thresholds_text(pairs) -> str:
    return ", ".join(f"{float(t):g}:{float(v):g}" for t, v in pairs)


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("policy name"), max_length=80)
    cutoff = forms.ChoiceField(label=_("tier cut-offs"), choices=TierPolicy.Cutoff.choices)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in metrics.METRICS:
            self.fields[f"use_{key}"] = forms.BooleanField(required=False)
            self.fields[f"weight_{key}"] = forms.DecimalField(
                required=False, min_value=0, max_value=100, decimal_places=2
            )
            self.fields[f"norm_{key}"] = forms.ChoiceField(  # unused criteria need none
                choices=PolicyCriterion.Normalisation.choices,
                initial=scoring.MINMAX,
                required=False,
            )
            self.fields[f"higher_{key}"] = forms.BooleanField(required=False)
            self.fields[f"low_{key}"] = forms.DecimalField(required=False)
            self.fields[f"high_{key}"] = forms.DecimalField(required=False)
            self.fields[f"thr_{key}"] = forms.CharField(required=False, max_length=200)
        for i in range(MAX_TIERS):
            self.fields[f"label_{i}"] = forms.CharField(required=False, max_length=2)
            self.fields[f"value_{i}"] = forms.DecimalField(
                required=False, max_digits=7, decimal_places=4
            )

    @classmethod
    def initial_from(cls, policy: TierPolicy | None, defaults) -> dict:
        if policy is None:
            criteria, tiers, cutoff, name = (
                defaults.DEFAULT_CRITERIA,
                defaults.DEFAULT_TIERS,
                "share",
                defaults.DEFAULT_NAME,
            )
        else:
            criteria = [
                {
                    "metric": c.metric,
                    "weight": c.weight,
                    "normalisation": c.normalisation,
                    "higher_is_better": c.higher_is_better,
                    "low": c.low,
                    "high": c.high,
                    "thresholds": c.thresholds,
                }
                for c in policy.criteria.all()
            ]
            tiers = [{"label": t.label, "value": t.value} for t in policy.tiers.all()]
            cutoff, name = policy.cutoff, policy.name
        initial = {"name": name, "cutoff": cutoff}
        for key, metric in metrics.METRICS.items():
            initial[f"higher_{key}"] = metric.higher_is_better
        for c in criteria:
            key = c["metric"]
            initial.update(
                {
                    f"use_{key}": True,
                    f"weight_{key}": c["weight"],
                    f"norm_{key}": c.get("normalisation", scoring.MINMAX),
                    f"higher_{key}": c.get("higher_is_better", True),
                    f"low_{key}": c.get("low"),
                    f"high_{key}": c.get("high"),
                    f"thr_{key}": _thresholds_text(c.get("thresholds") or []),
                }
            )
        for i, t in enumerate(tiers):
            initial[f"label_{i}"] = t["label"]
            initial[f"value_{i}"] = t["value"]
        return initial

    def rows(self):
        """For the template: one row of bound fields per metric."""
        for key, metric in metrics.METRICS.items():
            yield {
                "key": key,
                "label": metric.label,
                **{
                    name: self[f"{name}_{key}"]
                    for name in ("use", "weight", "norm", "higher", "low", "high", "thr")
                },
            }

    def tier_rows(self):
        return [(self[f"label_{i}"], self[f"value_{i}"]) for i in range(MAX_TIERS)]

    def criteria(self) -> list[dict]:
        data, out = self.cleaned_data, []
        for key in metrics.METRICS:
            if not data.get(f"use_{key}"):
                continue
            thresholds = []
            for part in filter(
                None, (p.strip() for p in (data.get(f"thr_{key}") or "").split(","))
            ):
                try:
                    raw, points = part.split(":")
                    thresholds.append([float(raw), float(points)])
                except ValueError:
                    self.add_error(
                        f"thr_{key}", _("Write thresholds as value:points, e.g. 30:0.5, 90:1")
                    )
                    raise RowError(key) from None
            out.append(
                {
                    "metric": key,
                    "weight": data.get(f"weight_{key}") or Decimal(0),
                    "normalisation": data.get(f"norm_{key}") or scoring.MINMAX,
                    "higher_is_better": bool(data.get(f"higher_{key}")),
                    "low": data.get(f"low_{key}"),
                    "high": data.get(f"high_{key}"),
                    "thresholds": thresholds,
                }
            )
        return out

    def tiers(self) -> list[dict]:
        data = self.cleaned_data
        share = data.get("cutoff") == TierPolicy.Cutoff.SHARE
        out = []
        for i in range(MAX_TIERS):
            label = (data.get(f"label_{i}") or "").strip().upper()
            if not label:
                continue
            value = data.get(f"value_{i}") or Decimal(0)
            out.append({"label": label, "value": value})
        if share and out and sum(t["value"] for t in out) > Decimal("1.5"):
            # shares typed as percentages (20, 30, 50)
            for t in out:
                t["value"] = t["value"] / 100
        return out
