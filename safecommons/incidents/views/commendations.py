"""Pages of commendations: the public list, the issue form for supervisors (linked from an incident with
?incident=<id>), the agency's issued list, one commendation with the recipient's consent choice, and the
certificate download."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.incidents.models import Commendation, Incident
from safecommons.incidents.selectors import commendations as selectors
from safecommons.incidents.services import commendations as services

PAGE_SIZE = 200


class IssueForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Agency"), empty_label=None)
    recipient_email = forms.EmailField(
        label=gettext_lazy("Recipient's email"),
        help_text=gettext_lazy("The email address of their account: a monitoring operator or a resident."))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.TITLE_MAX,
                            help_text=gettext_lazy("For example: 'For quick and clear reporting of a break-in'."))
    citation = forms.CharField(label=gettext_lazy("Citation"), max_length=services.CITATION_MAX,
                               widget=forms.Textarea(attrs={"rows": 6}),
                               help_text=gettext_lazy("What the person did and what it made possible. It is "
                                                      "printed on the certificate."))
    incident = forms.TypedChoiceField(label=gettext_lazy("Incident"), coerce=int, required=False, empty_value=None,
                                      help_text=gettext_lazy("Optional: one of your agency's closed incidents."))

    def __init__(self, *args, agencies, incidents: list[Incident], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        several = len(agencies) > 1
        if not several:
            self.fields["agency"].initial = agencies[0].pk
            self.fields["agency"].widget = forms.HiddenInput()
        self.fields["incident"].choices = [("", _("None"))] + [
            (incident.pk, _incident_label(incident, with_agency=several)) for incident in incidents]


def _incident_label(incident: Incident, *, with_agency: bool) -> str:
    closed = formats.date_format(timezone.localtime(incident.closed_at), "SHORT_DATE_FORMAT") \
        if incident.closed_at else ""
    parts = [f"#{incident.pk}", incident.get_type_display(), incident.address or str(incident.site or ""), closed]
    if with_agency:
        parts.append(incident.agency.name)
    return " · ".join(part for part in parts if part)


def _commendation(load) -> Commendation:
    try:
        return load()
    except Commendation.DoesNotExist:
        raise Http404 from None


def _preselected_incident(request, agencies) -> tuple[Incident | None, str]:
    """The incident named by ?incident=<id> (a link from the incident page), or why it cannot be named."""
    raw = request.GET.get("incident", "")
    if not raw.isdigit():
        return None, ""
    try:
        return selectors.commendation_incident_offered(agencies=agencies, incident_id=int(raw)), ""
    except Refused as exc:
        return None, str(exc)


def public_list(request):
    commendations = selectors.commendations_public()[:PAGE_SIZE]
    return render(request, "incidents/commendation_public.html", {
        "commendations": [(c, selectors.recipient_name(c.recipient)) for c in commendations]})


@login_required
@never_cache
def issue(request):
    actor = actor_for_user(request.user)
    agencies = selectors.commendation_agencies(actor=actor)
    if not agencies:
        raise PermissionDenied("commendation.issue")
    incidents = [incident for agency in agencies for incident in selectors.commendation_incidents(agency=agency)]
    preselected, notice = _preselected_incident(request, agencies)
    if preselected is not None and preselected.pk not in {incident.pk for incident in incidents}:
        incidents.insert(0, preselected)  # closed long ago: not among the latest, still offered
    initial = {"incident": preselected.pk, "agency": preselected.agency_id} if preselected else {}
    form = IssueForm(request.POST or None, agencies=agencies, incidents=incidents, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = (selectors.commendation_incident(incident_id=data["incident"])
                            if data["incident"] else None)
                recipient = selectors.commendation_recipient(email=data["recipient_email"])
                commendation = services.commendation_issue(
                    actor=actor, agency=data["agency"], recipient=recipient, title=data["title"],
                    citation=data["citation"], incident=incident, site_url=request.build_absolute_uri("/"))
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Commendation %(number)s issued; %(name)s has been emailed.")
                                 % {"number": commendation.number, "name": selectors.recipient_name(recipient)})
                return redirect("incidents:commendation_detail", commendation_id=commendation.pk)
    return render(request, "incidents/commendation_issue.html", {"form": form, "notice": notice,
                                                                  "preselected": preselected}, status=status)


@login_required
@never_cache
def issued_list(request):
    actor = actor_for_user(request.user)
    if not actor.is_agency_staff:
        raise PermissionDenied("commendation.view")
    commendations = selectors.commendations_issued(actor=actor)[:PAGE_SIZE]
    return render(request, "incidents/commendation_issued.html", {
        "commendations": commendations, "may_issue": selectors.commendation_agencies(actor=actor).exists()})


@login_required
@never_cache
def detail(request, commendation_id: int):
    actor = actor_for_user(request.user)
    commendation = _commendation(lambda: selectors.commendation_get(actor=actor, commendation_id=commendation_id))
    return render(request, "incidents/commendation_detail.html", {
        "commendation": commendation,
        "recipient_name": selectors.recipient_name(commendation.recipient),
        "issued_by": selectors.issuer_label(commendation),
        "is_recipient": commendation.recipient_id == actor.user_id,
        "is_staff": selectors.is_agency_staff_of(actor=actor, commendation=commendation),
    })


@login_required
@require_POST
def consent(request, commendation_id: int):
    actor = actor_for_user(request.user)
    commendation = _commendation(lambda: selectors.commendation_for_consent(actor=actor,
                                                                            commendation_id=commendation_id))
    public = request.POST.get("public")
    if public not in ("yes", "no"):
        messages.error(request, _("Choose whether your commendation may be shown publicly."))
        return redirect("incidents:commendation_detail", commendation_id=commendation.pk)
    services.commendation_consent_set(actor=actor, commendation=commendation, public=public == "yes")
    messages.success(request, _("Thank you: it is shown on the public list of commendations.") if public == "yes"
                     else _("Your commendation is not shown publicly."))
    return redirect("incidents:commendation_detail", commendation_id=commendation.pk)


def certificate(request, commendation_id: int):
    """Public commendations' certificates are open to anyone; the others to the recipient and the agency's
    staff, who are asked to sign in first."""
    actor = actor_for_user(request.user)
    try:
        commendation = _commendation(lambda: selectors.commendation_for_certificate(
            actor=actor, commendation_id=commendation_id))
    except PermissionDenied:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise
    pdf = services.commendation_certificate_make(actor=actor, commendation=commendation)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{services.certificate_filename(commendation)}"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("commendations/", public_list, name="commendations_public"),
    path("commendations/issue/", issue, name="commendation_issue"),
    path("commendations/issued/", issued_list, name="commendations_issued"),
    path("commendations/<int:commendation_id>/", detail, name="commendation_detail"),
    path("commendations/<int:commendation_id>/consent/", consent, name="commendation_consent"),
    path("commendations/<int:commendation_id>/certificate.pdf", certificate, name="commendation_certificate"),
]
