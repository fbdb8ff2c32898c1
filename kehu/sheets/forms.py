from django import forms
from django.utils.translation import gettext_lazy as _

from .kinds import KINDS
from .reader import EXTENSIONS


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(".xlsx, .xls, .ods or .csv (UTF-8 or GBK)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(sorted(EXTENSIONS)), "class": "form-control"}
        ),
    )
    kind = forms.ChoiceField(
        label=_("The sheet holds"),
        choices=[(k.key, k.label) for k in KINDS.values()],
        initial="customers",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
