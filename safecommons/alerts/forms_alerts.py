"""The alert composer's form. Without JavaScript it works with named areas and a circle typed in (centre and
radius); the map (compose.js) fills the circle fields on a click and the polygon field as corners are added."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.alerts.models import Alert, CapCategory, Certainty, Severity, Topic, Urgency
from safecommons.alerts.services.alerts import HEADLINE_MAX, AlertDraft, AlertRefused, InfoText
from safecommons.places.models import Area

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AlertForm(forms.Form):
    cap_status = forms.ChoiceField(label=_("Status"), choices=Alert.CapStatus.choices, widget=forms.RadioSelect,
                                   initial=Alert.CapStatus.ACTUAL,
                                   help_text=_("A drill or a test reaches only the agency's test list."))
    scope = forms.ChoiceField(label=_("Who it is for"), choices=Alert.Scope.choices, widget=forms.RadioSelect,
                              initial=Alert.Scope.PUBLIC)
    topic = forms.ChoiceField(label=_("Topic"), choices=[c for c in Topic.choices if c[0] != Topic.NEWSLETTER],
                              help_text=_("Only subscribers to this topic receive it."))
    event = forms.CharField(label=_("Event"), max_length=120, help_text=_("What happened, in a few words."))
    category = forms.ChoiceField(label=_("Category"), choices=CapCategory.choices, initial=CapCategory.SECURITY)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.EXPECTED)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MODERATE,
                                 help_text=_("Severe and extreme alerts reach people even in their quiet hours."))
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Certainty.choices, initial=Certainty.LIKELY)
    onset = forms.DateTimeField(label=_("From"), required=False, widget=DATETIME_INPUT)
    expires = forms.DateTimeField(label=_("Until"), widget=DATETIME_INPUT,
                                  help_text=_("The alert leaves the current list then."))
    area_description = forms.CharField(label=_("Area in words"), max_length=300,
                                       help_text=_("E.g. “Oak Street between 3rd and 5th Avenue”."))
    areas = forms.ModelMultipleChoiceField(label=_("Named areas"), queryset=Area.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    circle_lat = forms.FloatField(label=_("Circle centre, latitude"), required=False, min_value=-90, max_value=90)
    circle_lon = forms.FloatField(label=_("Circle centre, longitude"), required=False, min_value=-180,
                                  max_value=180)
    circle_radius_m = forms.IntegerField(label=_("Circle radius (metres)"), required=False)
    polygons = forms.CharField(required=False, widget=forms.HiddenInput)
    headline = forms.CharField(label=_("Headline"), max_length=HEADLINE_MAX)
    description = forms.CharField(label=_("What people need to know"), widget=forms.Textarea(attrs={"rows": 5}))
    instruction = forms.CharField(label=_("What to do"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    headline_es = forms.CharField(label=_("Headline (Spanish)"), max_length=HEADLINE_MAX, required=False)
    description_es = forms.CharField(label=_("What people need to know (Spanish)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 5}))
    instruction_es = forms.CharField(label=_("What to do (Spanish)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.filter(agency=agency).order_by("kind", "name")

    def clean_polygons(self):
        raw = self.cleaned_data.get("polygons") or ""
        if not raw.strip():
            return []
        try:
            polygons = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("The drawn polygon could not be read; draw it again.")) from None
        if not isinstance(polygons, list):
            raise forms.ValidationError(_("The drawn polygon could not be read; draw it again."))
        return polygons

    def clean(self):
        data = super().clean()
        circle = [data.get("circle_lat"), data.get("circle_lon"), data.get("circle_radius_m")]
        if any(value is not None for value in circle) and not all(value is not None for value in circle):
            self.add_error("circle_radius_m", _("A circle needs its centre's latitude and longitude and a radius."))
        spanish = [data.get("headline_es"), data.get("description_es"), data.get("instruction_es")]
        if any(spanish) and not (data.get("headline_es") and data.get("description_es")):
            self.add_error("headline_es", _("The Spanish version needs a headline and a description, or leave it "
                                            "all empty."))
        return data

    def draft(self) -> AlertDraft:
        data = self.cleaned_data
        infos = {"en": InfoText(data["headline"], data["description"], data.get("instruction") or "")}
        if data.get("headline_es"):
            infos["es"] = InfoText(data["headline_es"], data["description_es"], data.get("instruction_es") or "")
        circles = []
        if data.get("circle_radius_m") is not None:
            circles.append({"lat": data["circle_lat"], "lon": data["circle_lon"], "radius_m": data["circle_radius_m"]})
        return AlertDraft(
            event=data["event"], area_description=data["area_description"], infos=infos, topic=data["topic"],
            category=data["category"], urgency=data["urgency"], severity=data["severity"],
            certainty=data["certainty"], cap_status=data["cap_status"], scope=data["scope"], onset=data.get("onset"),
            expires=data.get("expires"), polygons=data.get("polygons") or [], circles=circles,
            area_ids=[area.pk for area in data.get("areas") or []])

    def show_refusal(self, refused: AlertRefused) -> None:
        """Put the service's reasons beside the fields they are about."""
        for name, messages in refused.problems.items():
            target = {"area": "area_description", "": None}.get(name, name)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


def alert_form_initial(draft: AlertDraft) -> dict:
    """The composer's fields for an existing alert (a draft, or the copy an update starts from)."""
    initial = {name: getattr(draft, name) for name in ("event", "area_description", "topic", "category", "urgency",
                                                        "severity", "certainty", "cap_status", "scope", "onset",
                                                        "expires")}
    initial["areas"] = draft.area_ids
    initial["polygons"] = json.dumps(draft.polygons) if draft.polygons else ""
    if draft.circles:
        circle = draft.circles[0]
        initial.update(circle_lat=circle["lat"], circle_lon=circle["lon"], circle_radius_m=int(circle["radius_m"]))
    for language, suffix in (("en", ""), ("es", "_es")):
        info = draft.infos.get(language)
        if info:
            initial.update({f"headline{suffix}": info.headline, f"description{suffix}": info.description,
                            f"instruction{suffix}": info.instruction})
    return initial
