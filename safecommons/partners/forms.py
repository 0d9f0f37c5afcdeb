from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.partners.models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("What the key is for"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=ApiKey.ApiScope.choices,
                                       widget=forms.CheckboxSelectMultiple)
