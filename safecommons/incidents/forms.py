"""The forms of the live-incident pages: the operator's handoff, the updates on an incident's page, and the
police actions. They only parse; every rule that matters is the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.incidents.models import Disposition, Incident, IncidentType, Verification
from safecommons.incidents.services.operator import SNAPSHOT_MAX_BYTES, VEHICLE_FIELD_MAX, VEHICLE_FIELDS
from safecommons.incidents.services.police import CLOSING_DISPOSITIONS, UNIT_MAX


def _number(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", **attrs})


def _latitude(**kwargs) -> forms.FloatField:
    return forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90,
                            widget=_number(min="-90", max="90"), **kwargs)


def _longitude(**kwargs) -> forms.FloatField:
    return forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180,
                            widget=_number(min="-180", max="180"), **kwargs)


def _text(label, *, required: bool = False, rows: int = 3, max_length: int = 2000, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


# --- Handing an incident over


class IncidentOpenForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Hand to"), queryset=None, empty_label=None,
                                    help_text=_("Only agencies an agreement in force lets your company send "
                                                "incidents to are listed."))
    type = forms.ChoiceField(label=_("What is happening"), choices=IncidentType.choices)
    verification = forms.ChoiceField(label=_("How do you know"), choices=Verification.choices,
                                     initial=Verification.VIDEO)
    persons_at_risk = forms.BooleanField(label=_("People are at risk"), required=False,
                                         help_text=_("Someone is hurt, threatened or trapped."))
    site = forms.ModelChoiceField(label=_("Client site"), queryset=None, required=False,
                                  empty_label=_("Not at a client site"))
    address = forms.CharField(label=_("Address or place"), max_length=300, required=False,
                              help_text=_("As police would find it: street and number, or a landmark."))
    latitude = _latitude(required=False, help_text=_("Click the map to fill this in, or type it (e.g. 44.9801)."))
    longitude = _longitude(required=False)
    summary = _text(_("What you see"), help_text=_("In a sentence or two: what, how many, where they are now."))
    suspect_count = forms.IntegerField(label=_("Number of suspects"), min_value=0, max_value=999, initial=0,
                                       widget=forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}))
    weapons = forms.CharField(label=_("Weapons seen"), max_length=300, required=False,
                              help_text=_("Leave empty if none were seen."))
    camera_refs = _text(_("Camera references"), rows=2, max_length=3000,
                        help_text=_("The cameras that show it, one per line (names or ids police can ask you "
                                    "for)."))
    callback_phone = forms.CharField(label=_("Call-back number"), max_length=40, required=False,
                                     widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))

    def __init__(self, *args, agencies, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["site"].queryset = sites
        self.fields["site"].label_from_instance = lambda site: f"{site.name} — {site.address} ({site.organisation})"
        if not sites.exists():
            del self.fields["site"]

    def clean_camera_refs(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["camera_refs"].splitlines() if line.strip()]

    def incident_fields(self) -> dict[str, Any]:
        fields = dict(self.cleaned_data)
        fields.setdefault("site", None)
        fields["suspect_count"] = fields["suspect_count"] or 0
        return fields


class SuspectForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300, required=False,
                                  help_text=_("Clothing, build, hair, what they carry or do."))


class VehicleForm(forms.Form):
    make = forms.CharField(label=_("Make"), max_length=VEHICLE_FIELD_MAX, required=False)
    model = forms.CharField(label=_("Model"), max_length=VEHICLE_FIELD_MAX, required=False)
    colour = forms.CharField(label=_("Colour"), max_length=VEHICLE_FIELD_MAX, required=False)
    plate = forms.CharField(label=_("Plate"), max_length=VEHICLE_FIELD_MAX, required=False)
    direction = forms.CharField(label=_("Direction of travel"), max_length=VEHICLE_FIELD_MAX, required=False,
                                help_text=_("e.g. 'north on Main St'"))


SuspectFormSet = forms.formset_factory(SuspectForm, extra=1, max_num=30, absolute_max=30)
VehicleFormSet = forms.formset_factory(VehicleForm, extra=1, max_num=30, absolute_max=30)


def formset_rows(formset) -> list[dict[str, str]]:
    """The rows someone filled in (empty rows are left out)."""
    return [form.cleaned_data for form in formset.forms if form.has_changed() and form.cleaned_data]


# --- Updates on the incident's page (operators)


# What a page older than the last update sends for a flag it does not touch: nothing, which changes nothing.
NO_CHANGE = ""
PERSONS_AT_RISK = "on"  # what the checkbox of earlier pages sent; a tab opened before an upgrade still works
NO_LONGER_AT_RISK = "off"


class ObservationForm(forms.Form):
    """An observation; it may also change the flags police sort by, but only those the operator sets here.
    Nothing is pre-filled: every flag left alone means "no change", so a page rendered before the last update
    (another tab, a colleague's update) never undoes a flag, and clearing weapons is its own explicit box."""

    text = _text(_("What you see now"))
    weapons = forms.CharField(label=_("Weapons seen"), max_length=300, required=False,
                              help_text=_("Only to add or correct the weapons; leave empty to keep what is "
                                          "recorded."))
    no_weapons = forms.BooleanField(label=_("No weapons after all"), required=False,
                                    help_text=_("Clears the weapons recorded."))
    persons_at_risk = forms.ChoiceField(label=_("People at risk"), required=False, initial=NO_CHANGE, choices=[
        (NO_CHANGE, _("No change")), (PERSONS_AT_RISK, _("People are at risk")),
        (NO_LONGER_AT_RISK, _("No longer at risk"))])
    verification = forms.ChoiceField(label=_("How do you know"), required=False, initial=NO_CHANGE,
                                     choices=[(NO_CHANGE, _("No change")), *Verification.choices])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("weapons") and cleaned.get("no_weapons"):
            self.add_error("no_weapons", _("Either name the weapons seen or say there were none, not both."))
        return cleaned

    def update_fields(self) -> dict[str, Any]:
        """The service's arguments: None for every flag left alone (no change)."""
        data = self.cleaned_data
        weapons = "" if data["no_weapons"] else (data["weapons"] or None)
        at_risk = {PERSONS_AT_RISK: True, NO_LONGER_AT_RISK: False}.get(data["persons_at_risk"])
        return {"text": data["text"], "weapons": weapons, "persons_at_risk": at_risk,
                "verification": data["verification"] or None}


class MovementForm(forms.Form):
    latitude = _latitude()
    longitude = _longitude()
    heading_deg = forms.FloatField(label=_("Heading (degrees)"), min_value=0, max_value=360, required=False,
                                   widget=_number(min="0", max="360"),
                                   help_text=_("Clockwise from north: 0 north, 90 east, 180 south, 270 west."))
    speed_kmh = forms.FloatField(label=_("Speed (km/h)"), min_value=0, max_value=400, required=False,
                                 widget=_number(min="0", max="400"))
    text = _text(_("Note"), rows=2)

    def update_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class SuspectUpdateForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300,
                                  help_text=_("Clothing, build, hair, what they carry or do."))
    text = _text(_("Note"), rows=2)

    def update_fields(self) -> dict[str, Any]:
        return {"suspect": {"description": self.cleaned_data["description"]}, "text": self.cleaned_data["text"]}


class VehicleUpdateForm(VehicleForm):
    text = _text(_("Note"), rows=2)

    def update_fields(self) -> dict[str, Any]:
        return {"vehicle": {name: self.cleaned_data[name] for name in VEHICLE_FIELDS},
                "text": self.cleaned_data["text"]}


UPDATE_FORMS = {"observation": ObservationForm, "movement": MovementForm, "suspect": SuspectUpdateForm,
                "vehicle": VehicleUpdateForm}


class SnapshotForm(forms.Form):
    # A plain file field: the service reads the picture once, to re-encode it.
    image = forms.FileField(label=_("Image"), widget=forms.ClearableFileInput(attrs={
        "accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, at most %(limit)s MB. What the camera wrote into it is removed.")
        % {"limit": SNAPSHOT_MAX_BYTES // (1024 * 1024)})
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why are you withdrawing it?"), max_length=300,
                             error_messages={"required": _("Say why you are withdrawing the incident.")})


# --- Police


class AssignForm(forms.Form):
    unit = forms.CharField(label=_("Unit (call sign)"), max_length=UNIT_MAX,
                           help_text=_("e.g. 2-Adam-14. Assigning a unit marks the incident dispatched."))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=[
        (Incident.Status.DISPATCHED, Incident.Status.DISPATCHED.label),
        (Incident.Status.ON_SCENE, Incident.Status.ON_SCENE.label)])


class CloseForm(forms.Form):
    disposition = forms.ChoiceField(label=_("How it ended"),
                                    choices=[(d.value, d.label) for d in Disposition if d in CLOSING_DISPOSITIONS])
    outcome_summary = _text(_("Outcome for the company"), required=True,
                            help_text=_("Sent to the operator and the company's 24/7 contact. Say what happened; "
                                        "leave out what they must not know."))

    def __init__(self, *args, dispositions=CLOSING_DISPOSITIONS, **kwargs):
        """`dispositions`: what this incident may be closed as (`incident_closing_dispositions`)."""
        super().__init__(*args, **kwargs)
        self.fields["disposition"].choices = [(d.value, d.label) for d in Disposition if d in dispositions]


class MessageForm(forms.Form):
    text = _text(_("Message"), required=True, rows=2)
