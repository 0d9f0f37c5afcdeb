"""Crime-data pages: imports. An analyst (or agency admin) uploads an export with a mapping, follows the
run while it works in the background, and reads its validation report. Every decision is the services',
the selectors' and `core.permissions`'; these only parse, call and render."""

from __future__ import annotations

from itertools import chain

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from safecommons.core.csvsafe import csv_lines
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.crimedata.forms import ImportForm
from safecommons.crimedata.models import ImportRun
from safecommons.crimedata.selectors import imports as import_selectors
from safecommons.crimedata.services import imports as import_services

REJECTIONS_PER_PAGE = 100


def _importer(request):
    actor = actor_for_user(request.user)
    agencies = import_selectors.import_agencies(actor=actor)
    if not agencies:
        raise PermissionDenied("crime.import")
    return actor, agencies


def _run_or_404(actor, run_id: int) -> ImportRun:
    try:
        return import_selectors.import_run_get(actor=actor, run_id=run_id)
    except ImportRun.DoesNotExist:
        raise Http404 from None


@login_required
def import_list(request):
    actor, _agencies = _importer(request)
    runs = import_selectors.import_runs(actor=actor)[:50]
    return render(request, "crimedata/import_list.html", {"runs": runs})


@login_required
def import_new(request):
    actor, agencies = _importer(request)
    files = request.FILES if request.method == "POST" else None  # reading the body runs the upload handlers
    if getattr(request, "upload_refused", False):  # core/uploads.py stopped an oversized request unread
        return render(request, "crimedata/import_new.html", {"form": ImportForm(agencies=agencies),
                                                             "refused": True}, status=413)
    form = ImportForm(request.POST or None, files or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        agency, mapping = form.chosen()
        try:
            run = import_services.crime_import_queue(actor=actor, agency=agency, mapping=mapping,
                                                     uploaded_file=form.cleaned_data["file"])
        except Refused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("crimedata:import_run", run_id=run.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "crimedata/import_new.html", {"form": form}, status=status)


@login_required
def import_run(request, run_id: int):
    actor = actor_for_user(request.user)
    run = _run_or_404(actor, run_id)
    rejections = Paginator(import_selectors.import_rejections(actor=actor, run=run), REJECTIONS_PER_PAGE)
    page = rejections.get_page(request.GET.get("page"))
    return render(request, "crimedata/import_run.html", {"run": run, "page": page,
                                                         "unmapped": list(run.unmapped_offenses.items())})


@login_required
def import_report_csv(request, run_id: int):
    """The validation report: every rejected row with its line, source id, reason and excerpt."""
    actor = actor_for_user(request.user)
    run = _run_or_404(actor, run_id)
    rows = import_selectors.import_rejections(actor=actor, run=run).values_list(
        "line", "source_id", "reason", "excerpt")
    header = [["line", "source_id", "reason", "excerpt"]]
    response = StreamingHttpResponse(csv_lines(chain(header, rows.iterator(chunk_size=5000))),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-rejected.csv"'
    return response


urlpatterns = [
    path("imports/", import_list, name="import_list"),
    path("imports/new/", import_new, name="import_new"),
    path("imports/<int:run_id>/", import_run, name="import_run"),
    path("imports/<int:run_id>/rejected.csv", import_report_csv, name="import_report_csv"),
]
