from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AnnualPlan


class PlanForm(forms.ModelForm):
    class Meta:
        model = AnnualPlan
        fields = ["new_customers", "revenue", "repurchase_rate", "churn_rate", "satisfaction"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


class ReviewForm(forms.Form):
    quarter = forms.TypedChoiceField(
        label=_("quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int
    )
    note = forms.CharField(label=_("review note"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["note"].widget.attrs["class"] = "form-control form-control-sm"
