from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from layan.customers.models import (
    CustomerForm,
    CustomerKind,
    Honorific,
    RevenueTier,
)


class CustomerNotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class CustomerCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    form = forms.ChoiceField(label=_("Form"), choices=CustomerForm.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices)
    revenue_tier = forms.ChoiceField(label=_("Revenue tier"), choices=RevenueTier.choices)
    industry = forms.CharField(label=_("Industry"), max_length=120, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)


class ContactCreateForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    preferred_name = forms.CharField(label=_("Preferred name"), max_length=80, required=False)
    honorific = forms.ChoiceField(label=_("Honorific"), choices=Honorific.choices, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("id", "Bahasa Indonesia"), ("en", "English")]
    )
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
