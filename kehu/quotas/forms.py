from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

from . import periods
from .models import Period, Quota

DATE = {"type": "date"}


def _small(form):
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


class QuotaForm(forms.Form):
    """A quota and its allowance per tier (the service validates; this only parses)."""

    name = forms.CharField(label=_("quota"), max_length=50)
    unit = forms.CharField(label=_("unit"), max_length=20, help_text=_("hours, %, pieces …"))
    kind = forms.ChoiceField(label=_("kind"), choices=Quota.Kind.choices)
    period = forms.ChoiceField(label=_("period"), choices=Period.choices)
    over_use = forms.ChoiceField(label=_("over-use"), choices=Quota.OverUse.choices)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for tier in Customer.TIERS:
            self.fields[f"allowance_{tier}"] = forms.CharField(
                label=_("tier %(tier)s") % {"tier": tier},
                required=False,
                help_text=_("Blank: no allowance."),
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
        _small(self)

    @classmethod
    def initial_for(cls, quota: Quota | None, table: dict) -> dict:
        if quota is None:
            return {"active": True, "kind": Quota.Kind.ALLOWANCE, "period": Period.MONTH}
        data = {
            "name": quota.name,
            "unit": quota.unit,
            "kind": quota.kind,
            "period": quota.period,
            "over_use": quota.over_use,
            "active": quota.active,
        }
        for tier in Customer.TIERS:
            amount = table.get((quota.pk, tier))
            data[f"allowance_{tier}"] = "" if amount is None else amount.normalize()
        return data


class UsageForm(forms.Form):
    quota = forms.ModelChoiceField(Quota.objects.filter(active=True), label=_("quota"))
    amount = forms.CharField(label=_("amount"), widget=forms.TextInput({"inputmode": "decimal"}))
    used_on = forms.DateField(
        label=_("used on"), required=False, widget=forms.DateInput(DATE, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["used_on"].initial = periods.company_date()
        _small(self)
