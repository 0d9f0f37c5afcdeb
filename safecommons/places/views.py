from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.places import selectors, services
from safecommons.places.forms import AreaImportForm, LookupForm


def find(request):
    """Public: give an address or a point, get your area and neighborhood officer(s)."""
    form = LookupForm(request.GET or None)
    result = None
    if form.is_valid():
        result = selectors.area_lookup(
            longitude=form.cleaned_data.get("lon"), latitude=form.cleaned_data.get("lat"),
            address=form.cleaned_data.get("address") or "",
        )
    return render(request, "places/find.html", {"form": form, "result": result})


def area_detail(request, area_id):
    area = selectors.area_get(area_id=area_id)
    assignments = selectors.assignments_current(areas=[area])
    return render(request, "places/area.html", {"area": area, "assignments": assignments})


@login_required
def area_import(request):
    actor = actor_for_user(request.user)
    agencies = selectors.agencies_importable_by(actor=actor)
    if not agencies.exists():
        raise PermissionDenied("area.import")
    form = AreaImportForm(request.POST or None, request.FILES or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            area_import = services.area_import_queue(
                actor=actor, agency=form.cleaned_data["agency"], kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            )
        except Refused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("places:import_status", import_id=area_import.pk)
    imports = selectors.area_imports_for(actor=actor, agency=agencies.first())[:10]
    return render(request, "places/import.html", {"form": form, "imports": imports})


@login_required
def import_status(request, import_id):
    area_import = selectors.area_import_get(actor=actor_for_user(request.user), import_id=import_id)
    return render(request, "places/import_status.html", {"area_import": area_import})
