from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

from .models import CadenceRule, Method


class LogForm(forms.Form):
    method = forms.ChoiceField(label=_("method"), choices=Method.choices)
    at = forms.DateTimeField(
        label=_("time"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    content = forms.CharField(label=_("content"), max_length=5000)
    feedback = forms.CharField(label=_("customer feedback"), max_length=2000, required=False)
    next_step = forms.CharField(label=_("next step"), max_length=200, required=False)
    next_on = forms.DateField(label=_("next follow-up"), required=False)
    # labelled: a rejected log names the fields it could not read
    contact = forms.IntegerField(label=_("contact"), required=False)
    followup = forms.IntegerField(
        label=_("planned follow-up"), required=False, widget=forms.HiddenInput
    )
    deal = forms.IntegerField(label=_("deal"), required=False)


class PlanForm(forms.Form):
    due_on = forms.DateField(label=_("due date"))
    method = forms.ChoiceField(label=_("method"), choices=Method.choices)
    content = forms.CharField(label=_("planned content"), max_length=200, required=False)


class CadenceRuleForm(forms.ModelForm):
    tier = forms.ChoiceField(
        label=_("tier"), choices=[("", "—"), *((t, t) for t in Customer.TIERS)]
    )

    class Meta:
        model = CadenceRule
        fields = ["tier", "every_days", "who", "method", "content", "active"]


CadenceFormSet = forms.modelformset_factory(
    CadenceRule, form=CadenceRuleForm, extra=2, can_delete=True
)
