"""Alert pages for agency staff: the list (drafts, waiting for my approval, published), the composer, each
alert with its history, and the workflow buttons (submit, approve, send back, update, cancel)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.alerts.forms_alerts import AlertForm, alert_form_initial
from safecommons.alerts.models import Alert
from safecommons.alerts.selectors import alerts as alert_selectors
from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import AlertRefused
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user, may, require


def _detail_url(alert: Alert) -> str:
    return reverse("alerts:alert_staff_detail", args=[alert.identifier])


@login_required
def staff_list(request):
    actor = actor_for_user(request.user)
    agency = alert_selectors.alert_staff_agency(actor=actor, slug=request.GET.get("agency", ""))
    return render(request, "alerts/staff_list.html", {
        "agency": agency, "agencies": alert_selectors.alert_staff_agencies(actor=actor),
        "lists": alert_selectors.alerts_staff_lists(actor=actor, agency=agency),
        "may_compose": may(actor, "alert.compose", agency),
    })


def _compose_page(request, form, *, agency, alert=None):
    return render(request, "alerts/compose.html", {
        "form": form, "agency": agency, "alert": alert, "map_bounds": alert_selectors.agency_map_bounds(agency),
    }, status=400 if form.is_bound else 200)


@login_required
def compose(request):
    actor = actor_for_user(request.user)
    agency = alert_selectors.alert_staff_agency(actor=actor, slug=request.GET.get("agency", ""))
    require(actor, "alert.compose", agency)
    if request.method != "POST":
        return _compose_page(request, AlertForm(agency=agency), agency=agency)
    form = AlertForm(request.POST, agency=agency)
    if form.is_valid():
        try:
            alert = alert_services.alert_compose(actor=actor, agency=agency, draft=form.draft())
        except AlertRefused as refused:
            form.show_refusal(refused)
        else:
            messages.success(request, _("Draft saved. Check it, then submit it."))
            return redirect(_detail_url(alert))
    return _compose_page(request, form, agency=agency)


@login_required
def edit(request, identifier: str):
    actor = actor_for_user(request.user)
    alert = alert_selectors.alert_staff_get(actor=actor, identifier=identifier)
    require(actor, "alert.compose", alert)
    if alert.state not in (Alert.State.DRAFT, Alert.State.REJECTED):
        messages.error(request, _("Only a draft can be changed."))
        return redirect(_detail_url(alert))
    if request.method != "POST":
        form = AlertForm(agency=alert.agency, initial=alert_form_initial(alert_services.alert_draft_of(alert)))
        return _compose_page(request, form, agency=alert.agency, alert=alert)
    form = AlertForm(request.POST, agency=alert.agency)
    if form.is_valid():
        try:
            alert_services.alert_edit(actor=actor, alert=alert, draft=form.draft())
        except AlertRefused as refused:
            form.show_refusal(refused)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(_detail_url(alert))
    return _compose_page(request, form, agency=alert.agency, alert=alert)


@login_required
def staff_detail(request, identifier: str):
    actor = actor_for_user(request.user)
    alert = alert_selectors.alert_staff_get(actor=actor, identifier=identifier)
    may_compose = may(actor, "alert.compose", alert)
    history = alert_selectors.alert_history(alert)
    return render(request, "alerts/staff_detail.html", {
        "alert": alert, "infos": list(alert.infos.all()), "history": history,
        "cancel_reason": next((entry.reason for entry in history if entry.action == "alert.cancel"), ""),
        "status": alert_selectors.alert_status(alert), "chain": alert_selectors.alert_chain(alert),
        "followups": list(alert.followups.order_by("created_at")),
        "map_data": [alert_selectors.alert_map_data(alert, alert_selectors.alert_info_for(alert, "en"))],
        "may_compose": may_compose, "may_approve": may(actor, "alert.approve", alert),
        "needs_approval": alert_services.alert_needs_approval(alert),
        "followable": may_compose and alert.state == Alert.State.PUBLISHED
        and alert.msg_type != Alert.MsgType.CANCEL and alert_selectors.alert_followed_by(alert) is None,
    })


def _workflow(action):
    """A workflow button: runs the service, says what happened or why not, and goes back to the alert."""

    @login_required
    @require_POST
    def view(request, identifier: str):
        actor = actor_for_user(request.user)
        alert = alert_selectors.alert_staff_get(actor=actor, identifier=identifier)
        try:
            target = action(request, actor, alert)
        except PermissionDenied:
            raise
        except Refused as refused:
            messages.error(request, str(refused))
            return redirect(_detail_url(alert))
        return redirect(target)

    view.__name__ = action.__name__
    return view


@_workflow
def submit(request, actor, alert):
    alert = alert_services.alert_submit(actor=actor, alert=alert)
    messages.success(request, _("Published to the test list.") if alert.state == Alert.State.PUBLISHED
                     else _("Submitted: a supervisor or admin who did not compose it must approve it."))
    return _detail_url(alert)


@_workflow
def approve(request, actor, alert):
    alert_services.alert_approve(actor=actor, alert=alert)
    messages.success(request, _("Approved and published."))
    return _detail_url(alert)


@_workflow
def reject(request, actor, alert):
    alert_services.alert_reject(actor=actor, alert=alert, reason=request.POST.get("reason", ""))
    messages.success(request, _("Sent back to the composer."))
    return _detail_url(alert)


@_workflow
def start_update(request, actor, alert):
    update = alert_services.alert_update_start(actor=actor, alert=alert)
    messages.success(request, _("An update was opened with the alert's words; change what changed."))
    return reverse("alerts:alert_edit", args=[update.identifier])


@_workflow
def cancel(request, actor, alert):
    cancellation = alert_services.alert_cancel(actor=actor, alert=alert, reason=request.POST.get("reason", ""))
    messages.success(request, _("The alert is cancelled; the cancellation was sent."))
    return _detail_url(cancellation)


urlpatterns = [
    path("staff/", staff_list, name="alert_staff"),
    path("staff/new/", compose, name="alert_compose"),
    path("staff/<slug:identifier>/", staff_detail, name="alert_staff_detail"),
    path("staff/<slug:identifier>/edit/", edit, name="alert_edit"),
    path("staff/<slug:identifier>/submit/", submit, name="alert_submit"),
    path("staff/<slug:identifier>/approve/", approve, name="alert_approve"),
    path("staff/<slug:identifier>/reject/", reject, name="alert_reject"),
    path("staff/<slug:identifier>/update/", start_update, name="alert_update"),
    path("staff/<slug:identifier>/cancel/", cancel, name="alert_cancel"),
]
