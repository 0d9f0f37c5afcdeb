from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.core.audit.models import AuditEntry


class AuditSearchForm(forms.Form):
    text = forms.CharField(label=_("Who or what"), required=False)
    action = forms.CharField(label=_("Action"), required=False, help_text=_("e.g. auth.sign_in_failed"))
    object_type = forms.CharField(label=_("Record type"), required=False)
    object_id = forms.CharField(label=_("Record id"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("Any"))] + list(AuditEntry.Outcome.choices))
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def is_whole_number(text: str) -> bool:
    """Whether `int(text)` reads `text` as written: ASCII digits only ("²" and "١" pass `str.isdigit()`, and
    `int()` refuses the first and reads the second, so a query parameter is checked with this instead)."""
    return text.isascii() and text.isdigit()
