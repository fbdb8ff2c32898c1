from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts import access
from kehu.accounts.models import Team, User

from .models import Channel, Contact, Customer, Industry, Tag


class ModelChoices(forms.ModelMultipleChoiceField):
    """A choice of several by id where an id beyond 64 bits is an invalid choice like any
    other unknown one (Django's pk__in check hands it to SQLite, which raises OverflowError)."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk))
            except ValueError:
                continue  # Django refuses what is not a number itself
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class CustomerForm(forms.ModelForm):
    """Field-level parsing only; normalisation and the business rules are in services so that
    the importer and the API get the same treatment."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        # a damaged version cannot be shown to be current: refused like a stale one
        error_messages={
            "invalid": _("Someone changed this after you opened it. Reload it and try again.")
        },
    )
    confirm_duplicate = forms.BooleanField(
        label=_("This is a different customer, save anyway"), required=False
    )
    tags = ModelChoices(
        label=_("tags"),
        queryset=Tag.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    collaborators = ModelChoices(
        label=_("collaborators"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Colleagues who may also see and work this customer."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    queue = forms.ModelChoiceField(
        label=_("or into a team's lead queue"),
        help_text=_("No owner yet: the team's assignment rule hands the lead to one of its reps."),
        required=False,
        queryset=Team.objects.none(),
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "kind",
            "industry",
            "province",
            "city",
            "size",
            "address",
            "channel",
            "status",
            "owner",
            "core_needs",
            "product_preferences",
            "annual_budget",
            "notes",
        ]
        widgets = {
            "core_needs": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        owners = access.assignable_owners(actor)
        if self.instance.owner_id:
            # keeping the current owner is no reassignment: a collaborator (or a manager
            # editing a customer shared from another region) must still be able to save
            owners = owners | User.objects.filter(pk=self.instance.owner_id)
        self.fields["owner"].queryset = owners.order_by("name", "username")
        self.fields["industry"].queryset = Industry.objects.all()
        self.fields["channel"].queryset = Channel.objects.all()
        if not access.can_reassign(actor):
            self.fields["owner"].disabled = True
        if self.instance.pk or not access.can_reassign(actor):
            del self.fields["queue"]
        else:
            self.fields["queue"].queryset = access.visible_teams(actor).order_by("path")
        self.fields["collaborators"].queryset = access.share_candidates(actor).order_by(
            "name", "username"
        )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["tags"].initial = list(self.instance.tags.values_list("pk", flat=True))
            self.fields["collaborators"].initial = list(
                self.instance.collaborators.values_list("pk", flat=True)
            )
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if name == "name":
                widget.attrs["autofocus"] = True

    def model_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in self.Meta.fields}
        if self.fields["owner"].disabled:
            data.pop("owner", None)
        return data


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "phone2", "email", "wechat", "is_primary", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # phones and e-mails are normalised and checked by the service; accept what people type
        self.fields["email"] = forms.CharField(label=_("e-mail"), required=False, max_length=254)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                field.widget.attrs.setdefault("class", "form-control")

    def _post_clean(self):
        # model validation happens in services.add_contact/update_contact, after normalising
        pass


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    tier = forms.MultipleChoiceField(
        label=_("tier"), required=False, choices=[(t, t) for t in Customer.TIERS]
    )
    status = forms.MultipleChoiceField(
        label=_("status"), required=False, choices=Customer.Status.choices
    )
    owner = forms.ModelChoiceField(label=_("owner"), required=False, queryset=User.objects.none())
    team = forms.ModelChoiceField(label=_("team"), required=False, queryset=None)
    tag = forms.ModelChoiceField(label=_("tag"), required=False, queryset=Tag.objects.all())
    industry = forms.ModelChoiceField(
        label=_("industry"), required=False, queryset=Industry.objects.all()
    )
    channel = forms.ModelChoiceField(
        label=_("source channel"), required=False, queryset=Channel.objects.all()
    )
    contact_from = forms.DateField(
        label=_("last follow-up from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    contact_to = forms.DateField(
        label=_("last follow-up to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    never_contacted = forms.BooleanField(label=_("never contacted"), required=False)
    overdue = forms.BooleanField(label=_("follow-up overdue"), required=False)
    purchases_min = forms.DecimalField(
        label=_("purchases at least (CNY)"), required=False, min_value=0, decimal_places=2
    )
    no_order_days = forms.IntegerField(
        label=_("no order for (days)"), required=False, min_value=1, max_value=36500
    )

    FILTER_KEYS = [
        "q",
        "tier",
        "status",
        "owner",
        "team",
        "tag",
        "industry",
        "channel",
        "contact_from",
        "contact_to",
        "never_contacted",
        "overdue",
        "purchases_min",
        "no_order_days",
    ]

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            access.visible_users(actor).exclude(role=User.Role.VIEWER).order_by("name", "username")
        )
        self.fields["team"].queryset = access.visible_teams(actor)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault(
                    "class",
                    "btn-check"
                    if isinstance(widget, forms.CheckboxSelectMultiple)
                    else "form-check-input",
                )
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Name, pinyin initials (kjyx) or phone"), "type": "search"}
        )

    def params(self) -> dict:
        """Cleaned filters; invalid ones (a stale saved view naming a deleted tag) are dropped."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data.get(k) for k in self.FILTER_KEYS if data.get(k)}


class BulkActionForm(forms.Form):
    ACTIONS = [("assign", _("Assign to")), ("tag", _("Add tag")), ("status", _("Set status"))]
    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.CharField()
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False)
    status = forms.ChoiceField(choices=[("", "")] + list(Customer.Status.choices), required=False)

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = access.assignable_owners(actor)

    def clean_ids(self):
        raw = [p for p in self.cleaned_data["ids"].replace(" ", "").split(",") if p]
        if not raw or not all(p.isdigit() for p in raw):
            raise forms.ValidationError(_("Select at least one customer."))
        if len(raw) > 1000:
            raise forms.ValidationError(_("Select at most 1,000 customers at a time."))
        return [int(p) for p in raw]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action and not data.get({"assign": "owner", "tag": "tag", "status": "status"}[action]):
            raise forms.ValidationError(_("Choose what to apply to the selected customers."))
        return data


class MergeForm(forms.Form):
    other = forms.IntegerField(
        label=_("Customer number to merge into this one"),
        min_value=1,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
