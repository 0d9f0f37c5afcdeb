from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.reports.models import ServiceAttribute, ServiceRequestStatus, ServiceType

ATTRIBUTE_PREFIX = "attribute_"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _attribute_field(attribute: ServiceAttribute) -> forms.Field:
    common = {"label": attribute.description, "required": attribute.required,
              "help_text": attribute.datatype_description}
    kind = ServiceAttribute.Datatype
    if attribute.datatype == kind.NUMBER:
        return forms.FloatField(**common)
    if attribute.datatype == kind.DATETIME:
        return forms.DateTimeField(widget=LocalDateTimeInput(), **common)
    if attribute.datatype == kind.TEXT:
        return forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    choices = [(str(value["key"]), str(value["name"])) for value in attribute.values]
    if attribute.datatype == kind.SINGLEVALUELIST:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if attribute.datatype == kind.MULTIVALUELIST:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(max_length=500, **common)


class ReportForm(forms.Form):
    """A report of one service type: what, where (an address, or a point picked on the map), a photo, and the
    service's own questions. The service checks everything again; the form keeps what was typed."""

    service = forms.CharField(widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("What is the problem?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The description, place and status are published in the city's open 311 feed; "
                    "your name and contact details are not."),
    )
    address = forms.CharField(
        label=_("Address"), required=False, max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "street-address", "placeholder": _("e.g. 120 Oak St")}),
        help_text=_("A house number and street, or pick the place on the map."),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    photo = forms.FileField(
        label=_("Photo (optional)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text=_("Location and camera details are removed from the photo before it is kept. "
                    "Only you and the police department can see it."),
    )

    def __init__(self, *args, service: ServiceType, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["service"].initial = service.code
        for attribute in service.attributes.all():
            self.fields[ATTRIBUTE_PREFIX + attribute.code] = _attribute_field(attribute)

    def attribute_fields(self):
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_PREFIX)]

    def clean(self):
        data = super().clean()
        has_point = data.get("lat") is not None and data.get("lon") is not None
        if not has_point and not (data.get("address") or "").strip():
            self.add_error("address", _("Type an address or pick the place on the map."))
        return data

    def attribute_values(self) -> dict:
        """The answers given, as the service takes them (text, or a list of keys)."""
        answers = {}
        for name, value in self.cleaned_data.items():
            if not name.startswith(ATTRIBUTE_PREFIX) or value in (None, "", []):
                continue
            code = name[len(ATTRIBUTE_PREFIX):]
            if isinstance(value, list):
                answers[code] = value
            elif hasattr(value, "isoformat"):
                answers[code] = value.isoformat()
            else:
                answers[code] = str(value)
        return answers


class QueueFilterForm(forms.Form):
    status = forms.MultipleChoiceField(label=_("Status"), required=False, choices=ServiceRequestStatus.choices,
                                       widget=forms.CheckboxSelectMultiple)
    service = forms.ModelChoiceField(label=_("Service"), required=False, queryset=ServiceType.objects.none(),
                                     to_field_name="code", empty_label=_("All services"))
    area = forms.ModelChoiceField(label=_("Area"), required=False, queryset=None, empty_label=_("All areas"))

    def __init__(self, *args, services=None, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["area"].queryset = areas


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ServiceRequestStatus.choices)
    note = forms.CharField(
        label=_("Note to the reporter"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the reporter and published with the status in the open 311 feed: "
                    "no names or case details."),
    )
    expected_at = forms.DateTimeField(
        label=_("Expected by (optional)"), required=False,
        widget=LocalDateTimeInput(),
    )
