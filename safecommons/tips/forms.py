from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.partners.models import Organisation, Unit
from safecommons.tips.models import Category, Disposition, LocationKind, Priority, Status
from safecommons.tips.services import TipInput


class TipForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"), choices=[("", "—"), *Category.choices])
    description = forms.CharField(label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("What you saw or know. Leave out anything that would show who you are."))
    location_kind = forms.ChoiceField(label=_("How you give the place"), choices=LocationKind.choices,
                                      widget=forms.RadioSelect, initial=LocationKind.ADDRESS)
    location_text = forms.CharField(label=_("Address or place"), required=False, max_length=300,
                                    help_text=_("A street address, an intersection, or a landmark."))
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    occurred_at = forms.DateTimeField(label=_("When? (if you know)"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"))
    occurred_text = forms.CharField(label=_("Or roughly when"), required=False, max_length=120,
                                    help_text=_("For example: most nights last week, around 10 pm."))
    people_seen = forms.CharField(label=_("People you saw"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("Descriptions, clothing, names or nicknames if you know them."))
    vehicles_seen = forms.CharField(label=_("Vehicles you saw"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text=_("Make, colour, licence plate, direction of travel."))
    contact_opt_in = forms.BooleanField(label=_("I choose to give my contact details"), required=False,
                                        help_text=_("Only if you want the police to be able to reach you. "
                                                    "Leave it unticked to stay anonymous."))
    contact_name = forms.CharField(label=_("Name"), required=False, max_length=120)
    contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    contact_email = forms.EmailField(label=_("Email"), required=False)
    language = forms.CharField(widget=forms.HiddenInput, required=False)
    # A one-off token per form shown: reloading the receipt page must not send the tip twice.
    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean(self):
        data = super().clean()
        given = any(data.get(name) for name in ("contact_name", "contact_phone", "contact_email"))
        if given and not data.get("contact_opt_in"):
            raise forms.ValidationError(_("You filled in contact details but did not tick \"I choose to give my "
                                          "contact details\". Tick it to send them, or empty those boxes to stay "
                                          "anonymous."))
        return data

    def tip_input(self) -> TipInput:
        data = self.cleaned_data
        kind = data["location_kind"]
        if kind == LocationKind.MAP and (data.get("lat") is None or data.get("lon") is None):
            kind = LocationKind.ADDRESS if data.get("location_text") else kind
        return TipInput(
            category=data["category"], description=data["description"], people_seen=data["people_seen"],
            vehicles_seen=data["vehicles_seen"], location_kind=kind, location_text=data["location_text"],
            longitude=data.get("lon") if kind == LocationKind.MAP else None,
            latitude=data.get("lat") if kind == LocationKind.MAP else None,
            occurred_at=data.get("occurred_at"), occurred_text=data["occurred_text"],
            language=data.get("language") or "en", contact_opt_in=data["contact_opt_in"],
            contact_name=data["contact_name"], contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
        )


class UnlockForm(forms.Form):
    code = forms.CharField(label=_("Tip code"), max_length=60, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    passphrase = forms.CharField(label=_("Passphrase"), max_length=80,
                                 widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message or more information"), required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
    answers = forms.IntegerField(required=False, widget=forms.HiddenInput)
    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class TriageForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    disposition = forms.ChoiceField(label=_("Disposition (when closed)"), choices=[("", "—"), *Disposition.choices],
                                    required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    officer = forms.ModelChoiceField(label=_("Officer"), queryset=None, required=False)

    def __init__(self, *args, units, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["officer"].queryset = officers


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[(Status.INVESTIGATING, Status.INVESTIGATING.label),
                                                          (Status.CLOSED, Status.CLOSED.label)])
    disposition = forms.ChoiceField(label=_("Disposition (when closed)"), choices=[("", "—"), *Disposition.choices],
                                    required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note (never shown to the tipster)"),
                           widget=forms.Textarea(attrs={"rows": 3}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message to the tipster"), widget=forms.Textarea(attrs={"rows": 3}))
    is_question = forms.BooleanField(label=_("This is a question for the tipster to answer"), required=False)


class RewardForm(forms.Form):
    amount = forms.DecimalField(label=_("Reward amount ($)"), required=False, min_value=1, max_digits=9,
                                decimal_places=2, help_text=_("Leave empty to withdraw an unclaimed offer."))


class HoldForm(forms.Form):
    on = forms.BooleanField(label=_("Legal hold (stops the retention purge)"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class ReferForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Refer a redacted copy to"), queryset=Organisation.objects.none())
    purpose = forms.CharField(label=_("Why"), max_length=300)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = partners


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *Status.choices], required=False)
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Any")), *Category.choices], required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=[("", _("Any")), *Priority.choices], coerce=int,
                                      empty_value=None, required=False)
    area = forms.TypedChoiceField(label=_("Area"), choices=[("", _("Any"))], coerce=int, empty_value=None,
                                  required=False)
    age = forms.ChoiceField(label=_("Received"), required=False, choices=[
        ("", _("Any time")), ("day", _("Last 24 hours")), ("week", _("Last 7 days")), ("month", _("Last 30 days")),
        ("older", _("Over 30 days ago")),
    ])

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("Any")), *[(a.pk, a.name) for a in areas]]


class RoutingRuleForm(forms.Form):
    category = forms.ChoiceField(label=_("Tips about"), choices=Category.choices)
    assign_unit = forms.ModelChoiceField(label=_("Assign to unit"), queryset=Unit.objects.none(), required=False)
    assign_officer = forms.ModelChoiceField(label=_("Assign to officer"), queryset=None, required=False)
    refer_to = forms.ModelChoiceField(label=_("Refer a redacted copy to"), queryset=Organisation.objects.none(),
                                      required=False)
    set_priority = forms.TypedChoiceField(label=_("Set priority"), choices=[("", "—"), *Priority.choices],
                                          coerce=int, empty_value=None, required=False)
    position = forms.IntegerField(label=_("Order"), min_value=1, initial=1)

    def __init__(self, *args, units, officers, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assign_unit"].queryset = units
        self.fields["assign_officer"].queryset = officers
        self.fields["refer_to"].queryset = partners


class RetentionRuleForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *Status.choices], required=False)
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Any")), *Category.choices], required=False)
    keep_days = forms.IntegerField(label=_("Keep for (days after the last status change)"), min_value=1)


class PayoutForm(forms.Form):
    payout_code = forms.CharField(label=_("Payout code shown by the tipster"), max_length=60)
