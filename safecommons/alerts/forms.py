"""Forms of the alerts pages: subscribe and manage (one form), the test list."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from safecommons.alerts.models import Channel, Subscription, Topic
from safecommons.alerts.selectors import subscriptions as subscription_selectors
from safecommons.alerts.services.subscriptions import RADIUS_CHOICES_M, PushSubscriptionData, SubscriptionInput


def _distance_label(metres: int) -> str:
    return f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"


class AreaChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, area):
        return f"{area.name} ({area.get_kind_display()})"


class SubscriptionForm(forms.Form):
    """What a subscriber chooses. The address is looked up in the local gazetteer while the form is checked
    and turned into coordinates; the service keeps only their H3 cell. Neither is stored as given."""

    label = forms.CharField(label=_("Name for this subscription (optional)"), required=False, max_length=120,
                            help_text=_("For example: Home, Shop, Mum's street."))
    address = forms.CharField(label=_("Address"), required=False, max_length=300,
                              help_text=_("A street address, for example 1200 Oak St. We do not keep it: only "
                                          "the map cell it falls in (about 300 m across)."))
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    radius_m = forms.TypedChoiceField(label=_("Alerts within"), coerce=int, initial=1000,
                                      choices=[(m, _distance_label(m)) for m in RADIUS_CHOICES_M])
    remove_point = forms.BooleanField(label=_("Stop alerts around my address (keep only the areas below)"),
                                      required=False)
    areas = AreaChoices(label=_("Neighborhoods and beats"), required=False, widget=forms.CheckboxSelectMultiple,
                        queryset=subscription_selectors.subscribable_areas())
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Topic.CRIME, Topic.EMERGENCY, Topic.MISSING_PERSON])
    email = forms.EmailField(label=_("Email"), required=False,
                             help_text=_("We send a link to confirm the address; nothing else until you click it."))
    phone = forms.CharField(label=_("Mobile number for text messages (SMS)"), required=False, max_length=30,
                            help_text=_("With the country code, for example +1 612 555 0123."))
    push_subscription = forms.CharField(required=False, widget=forms.HiddenInput)
    remove_push = forms.BooleanField(label=_("Stop notifications in the browser"), required=False)
    organisation = forms.ModelChoiceField(label=_("Subscribe for"), required=False, queryset=None,
                                          empty_label=_("Myself"))
    webhook_url = forms.CharField(label=_("Webhook address (organisations only)"), required=False, max_length=500,
                                  help_text=_("We POST each alert as JSON to this https:// address, signed with a "
                                              "secret shown once. Use it to cross-post to your social media."))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    quiet_start = forms.TimeField(label=_("Quiet from"), required=False,
                                  widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quiet_end = forms.TimeField(label=_("until"), required=False,
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    time_zone = forms.CharField(label=_("Time zone"), required=False, max_length=60)

    def __init__(self, *args, actor=None, subscription: Subscription | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        organisations = (subscription_selectors.organisations_subscribing_for(actor=actor) if actor is not None
                         else None)
        if subscription is not None or organisations is None or not organisations.exists():
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
        may_webhook = (subscription.organisation_id is not None if subscription is not None
                       else "organisation" in self.fields)
        if not may_webhook:
            del self.fields["webhook_url"]
        if subscription is None:
            del self.fields["remove_point"]
            del self.fields["remove_push"]
        else:
            self.fields["address"].help_text = _("Leave empty to keep the place you chose before.")
        if not self.is_bound:
            self.initial.setdefault("time_zone", settings.TIME_ZONE)

    @classmethod
    def initial_for(cls, subscription: Subscription) -> dict:
        channels = {c.channel: c for c in subscription.channels.all() if c.active}
        return {
            "label": subscription.label, "radius_m": subscription.radius_m or 1000,
            "areas": [a.pk for a in subscription.areas.all()], "topics": subscription.topics,
            "email": getattr(channels.get(Channel.EMAIL), "address", ""),
            "phone": getattr(channels.get(Channel.SMS), "address", ""),
            "webhook_url": getattr(channels.get(Channel.WEBHOOK), "address", ""),
            "language": subscription.language, "quiet_start": subscription.quiet_start,
            "quiet_end": subscription.quiet_end, "time_zone": subscription.time_zone,
        }

    def clean_push_subscription(self):
        raw = self.cleaned_data.get("push_subscription") or ""
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return PushSubscriptionData(endpoint=str(data["endpoint"]), p256dh=str(data["keys"]["p256dh"]),
                                        auth=str(data["keys"]["auth"]))
        except (ValueError, KeyError, TypeError):
            raise forms.ValidationError(_("The browser's push subscription could not be read; allow "
                                          "notifications and try again.")) from None

    def clean(self):
        from safecommons.places import selectors as place_selectors

        data = super().clean()
        address = (data.get("address") or "").strip()
        if address:
            located, suggestions = place_selectors.address_locate(text=address)
            if located is None:
                message = _("We could not find that address.")
                if suggestions:
                    message = f"{message} {_('Did you mean:')} {', '.join(suggestions)}?"
                self.add_error("address", message)
            else:
                data["lat"], data["lon"] = located.latitude, located.longitude
        data["address"] = ""  # from here on only the coordinates, turned into a cell by the service
        return data

    def subscription_input(self) -> SubscriptionInput:
        data = self.cleaned_data
        editing = self.subscription is not None
        point = data.get("lat") is not None and data.get("lon") is not None

        def channel(name: str) -> str | None:
            if name not in self.fields:
                return None
            value = (data.get(name) or "").strip()
            return value if (value or editing) else None

        if editing:
            place_given = True
            radius = data.get("radius_m")
            if not point and data.get("remove_point"):
                radius = None
            elif not point and self.subscription.cell is None:
                radius = None
        else:
            place_given, radius = True, data.get("radius_m")
        return SubscriptionInput(
            topics=list(data.get("topics") or []), language=data.get("language") or "en",
            label=data.get("label") or "", latitude=data.get("lat") if point else None,
            longitude=data.get("lon") if point else None, radius_m=radius,
            area_ids=[a.pk for a in data.get("areas") or []], email=channel("email"), phone=channel("phone"),
            webhook_url=channel("webhook_url"), push=data.get("push_subscription"),
            remove_push=bool(data.get("remove_push")), quiet_start=data.get("quiet_start"),
            quiet_end=data.get("quiet_end"), time_zone=data.get("time_zone") or "", place_given=place_given,
        )


class TestListAddForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    label = forms.CharField(label=_("Who it is (optional)"), required=False, max_length=120)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
