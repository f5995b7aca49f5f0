from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layan.agreements.imports import KINDS
from layan.agreements.models import OPEN_STAGES, RequestKind, Stage, VerdictChoice
from layan.customers.imports import idr_parse
from layan.customers.models import Contact, Customer
from layan.team.models import User


class IdrField(forms.CharField):
    """An amount in whole rupiah, typed the Indonesian way ("1.250.000") or plainly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "numeric")

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            amount = idr_parse(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        if amount < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return amount


class MonthField(forms.DateField):
    """A month, typed as 2025-03 (browsers show a month picker)."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def _set_queryset(form: forms.Form, name: str, queryset: Any) -> None:
    field: Any = form.fields[name]
    field.queryset = queryset


# --- Pipeline -----------------------------------------------------------------------------------


class DealForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    title = forms.CharField(label=_("What is being sold"), max_length=200)
    value = IdrField(label=_("Value (IDR)"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[(s.value, s.label) for s in OPEN_STAGES], initial=Stage.LEAD
    )

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "customer", customers)


class DealMoveForm(forms.Form):
    stage = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason (required when lost)"), max_length=500, required=False)


class BoardFilterForm(forms.Form):
    am = forms.TypedChoiceField(
        label=_("Account manager"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data: Any, *, managers: list[Any]) -> None:
        super().__init__(data)
        field: Any = self.fields["am"]
        field.choices = [("", _("Everyone")), *[(user.pk, user.name) for user in managers]]

    def account_manager(self) -> int | None:
        return self.cleaned_data.get("am") if self.is_valid() else None


# --- Orders and agreements ----------------------------------------------------------------------


class OrderForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    contact = forms.ModelChoiceField(
        label=_("Contact who confirms the agreement"), queryset=Contact.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    promised_on = forms.DateField(
        label=_("Promised delivery date"), required=False, widget=DateInput()
    )
    deal = forms.TypedChoiceField(
        label=_("From deal"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self, *args: Any, customers: Any, contacts: Any, deals: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "customer", customers)
        _set_queryset(self, "contact", contacts)
        field: Any = self.fields["deal"]
        field.choices = [("", "—"), *[(deal.pk, f"{deal.customer.name}: {deal}") for deal in deals]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        customer, contact = data.get("customer"), data.get("contact")
        if customer and contact and not contact.memberships.filter(customer=customer).exists():
            self.add_error("contact", _("This contact does not belong to that customer."))
        return data


class AgreementForm(forms.Form):
    spec = forms.CharField(
        label=_("Specification"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=100_000,
        help_text=_("Plain text or simple HTML; anything unsafe is removed."),
    )
    price = IdrField(label=_("Price"))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="IDR")
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    revisions_allowed = forms.IntegerField(
        label=_("Revisions allowed"), min_value=0, max_value=100, initial=2
    )
    terms = forms.CharField(
        label=_("Terms"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    change_note = forms.CharField(
        label=_("What changed from the previous version"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class SendForm(forms.Form):
    contact = forms.ModelChoiceField(label=_("Send to"), queryset=Contact.objects.none())

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "contact", contacts)


class LinkForm(forms.Form):
    ticket = forms.TypedChoiceField(label=_("Ticket"), coerce=int)
    kind = forms.ChoiceField(label=_("Count as"), choices=RequestKind.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, tickets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["ticket"]
        field.choices = [(ticket.pk, f"{ticket.ref} {ticket.subject}") for ticket in tickets]


class ChangeRequestForm(forms.Form):
    extra_price = IdrField(label=_("Extra price"))
    note = forms.CharField(label=_("Note for the customer"), max_length=2000, required=False)


class PromiseForm(forms.Form):
    promised_on = forms.DateField(
        label=_("Promised delivery date"), required=False, widget=DateInput()
    )


class DelayForm(forms.Form):
    new_date = forms.DateField(label=_("New delivery date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("id", "Bahasa Indonesia"), ("en", "English")]
    )


class DeliverForm(forms.Form):
    delivered_on = forms.DateField(label=_("Delivered on"), required=False, widget=DateInput())


class InvoiceForm(forms.Form):
    number = forms.CharField(label=_("Invoice number"), max_length=40)
    amount = IdrField(label=_("Amount"))
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())


class InvoicePaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())


# --- Revenue, targets, verdicts, imports --------------------------------------------------------


class RevenueForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    month = MonthField(label=_("Month"))
    amount = IdrField(label=_("Revenue (IDR)"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "customer", customers)


class TargetForm(forms.Form):
    account_manager = forms.ModelChoiceField(
        label=_("Account manager"), queryset=User.objects.none()
    )
    month = MonthField(label=_("Month"))
    amount = IdrField(label=_("Target (IDR)"))

    def __init__(self, *args: Any, managers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "account_manager", managers)


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=VerdictChoice.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    requires_approval = forms.BooleanField(
        label=_("New orders need a manager's approval (Bad clients only)"), required=False
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[
            (kind, label)
            for kind, label in zip(
                KINDS, (_("Customers"), _("Contacts"), _("Revenue")), strict=True
            )
        ],
    )
    file = forms.FileField(label=_("CSV file"))
    dry_run = forms.BooleanField(label=_("Only check, import nothing"), required=False)


class ChangesForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
