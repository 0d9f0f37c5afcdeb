from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.partners.models import ApiKey, Organisation, Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("What the key is for"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=ApiKey.ApiScope.choices,
                                       widget=forms.CheckboxSelectMultiple)


class AgreementForm(forms.Form):
    """A two-party agreement between the admin's agency and a partner (more parties: use the API)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 4}))
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Organisation.objects.none(), empty_label=None)
    agency_role = forms.CharField(label=_("What the agency undertakes"), max_length=200)
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Organisation.objects.order_by("name"))
    partner_role = forms.CharField(label=_("What the partner undertakes"), max_length=200)
    to_agency = forms.MultipleChoiceField(label=_("The partner shares with the agency"), choices=Scope.choices,
                                          widget=forms.CheckboxSelectMultiple, required=False)
    to_partner = forms.MultipleChoiceField(label=_("The agency shares with the partner"), choices=Scope.choices,
                                           widget=forms.CheckboxSelectMultiple, required=False)
    effective_from = forms.DateField(label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}))
    signed = forms.BooleanField(label=_("Signed by both parties"), required=False)
    document = forms.FileField(label=_("Signed document (PDF)"), required=False)

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies

    def clean(self):
        data = super().clean()
        if data.get("agency") and data.get("agency") == data.get("partner"):
            self.add_error("partner", _("Choose another organisation than the agency."))
        return data


class TerminationForm(forms.Form):
    reason = forms.CharField(label=_("Why the agreement ends"), max_length=300)
