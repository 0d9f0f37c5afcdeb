from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user, may
from safecommons.reports import selectors, services
from safecommons.reports.forms import QueueFilterForm, ReportForm, StatusForm


@login_required
def my_reports(request):
    """The person's reports with their current status, and the notices about them."""
    actor = actor_for_user(request.user)
    return render(request, "reports/mine.html", {
        "reports": selectors.reports_of(actor=actor),
        "notifications": selectors.notifications_for(actor=actor),
        "can_work_queue": may(actor, "report.queue"),
    })


@login_required
def report_new(request):
    """Choose what to report, then say what and where. Without JavaScript, an address is enough."""
    actor = actor_for_user(request.user)
    service_types = selectors.service_types_active()
    code = request.POST.get("service") or request.GET.get("service")
    service = next((s for s in service_types if s.code == code), None) if code else None
    if service is None:
        groups = [(group, list(items)) for group, items in groupby(service_types, key=lambda s: s.group)]
        if code:
            messages.error(request, _("That kind of report is not taken here. Choose one from the list."))
        return render(request, "reports/choose.html", {"groups": groups})

    form = ReportForm(request.POST or None, request.FILES or None, service=service)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_submit(
                actor=actor, service=service, description=data["description"], address=data["address"],
                latitude=data["lat"], longitude=data["lon"], attributes=form.attribute_values(),
                photo=data.get("photo"),
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you. Your report #%(id)s is in; we will tell you when it moves.")
                             % {"id": report.pk})
            return redirect("reports:detail", request_id=report.pk)
    photo_lost = request.method == "POST" and bool(request.FILES.get("photo"))
    return render(request, "reports/new.html", {"form": form, "service": service, "photo_lost": photo_lost})


@login_required
def report_detail(request, request_id):
    """One report and its status history, for its reporter (and the agency's staff)."""
    actor = actor_for_user(request.user)
    report = selectors.report_get(actor=actor, request_id=request_id)
    services.report_notifications_mark_read(actor=actor, report=report)
    return render(request, "reports/detail.html", {
        "report": report, "history": selectors.report_history(report=report),
        "answers": selectors.report_answers(report=report), "can_manage": may(actor, "report.manage", report),
    })


@login_required
def report_photo(request, request_id):
    """The photo, served by this view only (never from a public media URL)."""
    actor = actor_for_user(request.user)
    report = selectors.report_get(actor=actor, request_id=request_id)
    photo, content_type = services.report_photo_open(actor=actor, report=report)
    response = FileResponse(photo, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


@login_required
def queue(request):
    """The agency's reports, open ones first by age, filtered by status, service and area."""
    actor = actor_for_user(request.user)
    choices = selectors.queue_choices(actor=actor)
    form = QueueFilterForm(request.GET or None, services=choices.services, areas=choices.areas)
    filters = form.cleaned_data if form.is_valid() else {}
    reports = selectors.reports_queue(actor=actor, statuses=filters.get("status") or None,
                                      service=filters.get("service"), area=filters.get("area"))
    return render(request, "reports/queue.html", {"form": form, "reports": reports[:200]})


@login_required
def staff_detail(request, request_id):
    """A report with its reporter's contact details; a status change with a note goes to the reporter."""
    actor = actor_for_user(request.user)
    report = services.report_staff_read(actor=actor, request_id=request_id)
    form = StatusForm(request.POST or None, initial={"status": report.status, "expected_at": report.expected_at})
    if request.method == "POST" and form.is_valid():
        try:
            services.report_status_change(
                actor=actor, report=report, status=form.cleaned_data["status"], note=form.cleaned_data["note"],
                expected_at=form.cleaned_data["expected_at"],
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved. The reporter is told."))
            return redirect("reports:staff_detail", request_id=report.pk)
    return render(request, "reports/staff_detail.html", {
        "report": report, "history": selectors.report_history(report=report),
        "answers": selectors.report_answers(report=report), "form": form,
    })
