from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.models import Customer

from .models import AssignmentRule


class RuleForm(forms.Form):
    """The team's rule, with one row per tier: who may take its leads, and how many of that
    tier one rep may own."""

    active = forms.BooleanField(label=_("switched on"), required=False)
    method = forms.ChoiceField(
        label=_("assignment method"), choices=AssignmentRule.Method.choices, initial="capacity"
    )
    respect_limit = forms.BooleanField(
        label=_("respect customer limits"), required=False, initial=True
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, rule: AssignmentRule | None = None, **kwargs):
        if rule is not None and "initial" not in kwargs:
            initial = {
                "active": rule.active,
                "method": rule.method,
                "respect_limit": rule.respect_limit,
                "version": rule.version if rule.pk else None,
            }
            if rule.pk:
                for t in rule.tier_rules.all():
                    initial[f"seniorities_{t.tier}"] = t.seniorities
                    initial[f"max_{t.tier}"] = t.max_per_rep
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["method"].widget.attrs["class"] = "form-select form-select-sm"
        for tier in Customer.TIERS:
            self.fields[f"seniorities_{tier}"] = forms.MultipleChoiceField(
                label=_("tier %(tier)s: only to") % {"tier": tier},
                choices=User.Seniority.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"max_{tier}"] = forms.IntegerField(
                label=_("tier %(tier)s: at most per rep") % {"tier": tier},
                min_value=0,
                required=False,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )

    def tier_rows(self):
        """(tier, seniorities field, cap field) for the template."""
        return [(t, self[f"seniorities_{t}"], self[f"max_{t}"]) for t in Customer.TIERS]

    def tiers(self) -> list[dict]:
        return [
            {
                "tier": t,
                "seniorities": self.cleaned_data.get(f"seniorities_{t}") or [],
                "max_per_rep": self.cleaned_data.get(f"max_{t}"),
            }
            for t in Customer.TIERS
        ]


class RepForm(forms.Form):
    seniority = forms.ChoiceField(
        label=_("seniority"),
        choices=User.Seniority.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    capacity = forms.DecimalField(
        label=_("capacity weight"),
        min_value=0,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.01"}),
    )
    customer_limit = forms.IntegerField(
        label=_("customer limit"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )
