from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.models import AreaKind


class LookupForm(forms.Form):
    address = forms.CharField(
        label=_("Your address"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address", "placeholder": _("e.g. 120 Oak St")}),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)

    def clean(self):
        data = super().clean()
        has_point = data.get("lat") is not None and data.get("lon") is not None
        if not has_point and not (data.get("address") or "").strip():
            raise forms.ValidationError(_("Type an address or pick a point on the map."))
        return data


class AreaImportForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Organisation.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label=_("These areas are"), choices=AreaKind.choices)
    file = forms.FileField(label=_("GeoJSON file (FeatureCollection, WGS84, a 'name' property per feature)"))

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies if agencies is not None else Organisation.objects.filter(
            kind=OrganisationKind.AGENCY)
