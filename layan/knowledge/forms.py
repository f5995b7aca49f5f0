from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from layan.knowledge.models import Article


class ArticleForm(forms.Form):
    title_id = forms.CharField(label=_("Title (Indonesian)"), max_length=200)
    body_id = forms.CharField(
        label=_("Text (Indonesian)"), widget=forms.Textarea(attrs={"rows": 10})
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Article.Kind.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Article.Visibility.choices)
    change_note = forms.CharField(label=_("What changed"), max_length=300, required=False)
