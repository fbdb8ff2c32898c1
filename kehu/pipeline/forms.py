from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Deal


class DealForm(forms.ModelForm):
    probability = forms.IntegerField(
        label=_("probability (%)"), min_value=0, max_value=100, required=False
    )

    class Meta:
        model = Deal
        fields = [
            "title",
            "amount",
            "expected_close",
            "stage",
            "probability",
            "channel",
            "products",
            "competitor",
            "lost_reason",
        ]
        widgets = {
            "expected_close": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "lost_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = self.fields["stage"].queryset.filter(active=True)
        if editing:  # the stage moves on the board or with the stage buttons, recorded
            del self.fields["stage"]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
