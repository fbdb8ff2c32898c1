from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Event


class EndpointForm(forms.Form):
    # the scheme rule (http/https only) lives in the service, so every caller gets it
    url = forms.CharField(
        label=_("URL"), max_length=500, widget=forms.URLInput(attrs={"placeholder": "https://"})
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("url", "description"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
