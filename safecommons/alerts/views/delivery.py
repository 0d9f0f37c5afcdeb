"""Alert pages for agency staff: how an alert's deliveries went on each channel (with a status line that
refreshes while sending goes on), and the fatigue signal of the last alerts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from safecommons.alerts.selectors import alerts as alert_selectors
from safecommons.alerts.selectors import delivery as delivery_selectors
from safecommons.core.permissions import actor_for_user


@login_required
def alert_delivery(request, alert_id: int):
    actor = actor_for_user(request.user)
    alert = delivery_selectors.alert_delivery_alert(actor=actor, alert_id=alert_id)
    report = delivery_selectors.alert_delivery_report(actor=actor, alert=alert)
    return render(request, "alerts/delivery.html", {"alert": alert, "report": report})


@login_required
def fatigue(request):
    actor = actor_for_user(request.user)
    agency = alert_selectors.alert_staff_agency(actor=actor, slug=request.GET.get("agency", ""))
    report = delivery_selectors.alerts_fatigue(actor=actor, agency=agency)
    return render(request, "alerts/fatigue.html", {
        "report": report, "agency": agency, "agencies": alert_selectors.alert_staff_agencies(actor=actor)})


urlpatterns = [
    path("staff/fatigue/", fatigue, name="alert_fatigue"),
    path("staff/<int:alert_id>/delivery/", alert_delivery, name="alert_delivery"),
]
