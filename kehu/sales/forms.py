from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User

from .models import Feedback, Order, Product, SurveyAnswer

MAX_LINES = 20
DATE = {"type": "date"}


def _small(form):
    for field in form.fields.values():
        css = (
            "form-select form-select-sm"
            if isinstance(field.widget, forms.Select)
            else ("form-control form-control-sm")
        )
        field.widget.attrs.setdefault("class", css)


class OrderForm(forms.Form):
    order_date = forms.DateField(
        label=_("order date"), widget=forms.DateInput(DATE, format="%Y-%m-%d")
    )
    number = forms.CharField(label=_("contract number"), max_length=40, required=False)
    owner = forms.ModelChoiceField(User.objects.none(), label=_("owner"), required=False)
    collected_amount = forms.DecimalField(
        label=_("collected (CNY)"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    collected_on = forms.DateField(
        label=_("collected on"), required=False, widget=forms.DateInput(DATE, format="%Y-%m-%d")
    )
    notes = forms.CharField(label=_("notes"), max_length=500, required=False)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else User.objects.none()
        self.fields["order_date"].initial = timezone.localdate()
        _small(self)


def lines_from(post) -> list[dict]:
    """The order lines typed on the page (line-0-product …); blank rows are ignored."""
    lines = []
    for i in range(MAX_LINES):
        row = {
            key: post.get(f"line-{i}-{key}", "").strip()
            for key in ("product", "description", "quantity", "unit_price")
        }
        if any(row.values()):
            row["product"] = row["product"] or None
            lines.append(row)
    return lines


def lines_of(order: Order | None, extra: int = 3) -> list[dict]:
    rows = []
    if order is not None:
        rows = [
            {
                "product": line.product_id or "",
                "description": line.description,
                "quantity": line.quantity.normalize(),
                "unit_price": line.unit_price,
            }
            for line in order.lines.all()
        ]
    return rows + [{} for _ in range(extra)]


class ProductForm(forms.ModelForm):
    category_name = forms.CharField(label=_("category"), max_length=50, required=False)

    class Meta:
        model = Product
        fields = ["name", "code", "unit_price", "unit_cost", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.category_id:
            self.fields["category_name"].initial = self.instance.category.name
        _small(self)
        self.fields["active"].widget.attrs["class"] = "form-check-input"


class AnswerForm(forms.ModelForm):
    class Meta:
        model = SurveyAnswer
        fields = ["kind", "score", "contact", "answered_on", "comment"]
        widgets = {"answered_on": forms.DateInput(DATE, format="%Y-%m-%d")}

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = (
            customer.contacts.all() if customer is not None else self.fields["contact"].queryset
        )
        self.fields["answered_on"].initial = timezone.localdate()
        self.fields["answered_on"].required = False
        self.fields["score"].widget.attrs.update({"min": 0, "max": 10})
        _small(self)


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["kind", "category", "severity", "summary", "details", "owner"]
        widgets = {"details": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else User.objects.none()
        self.fields["owner"].required = False
        _small(self)


class FeedbackUpdateForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["status", "severity", "category", "owner", "resolution"]
        widgets = {"resolution": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else User.objects.none()
        self.fields["owner"].required = False
        _small(self)
