"""Pages of the camera registry: an owner's cameras, the register/edit form with its map, and the CSV
import for organisations. Every decision is the services' and `core.permissions`'; these only parse,
call and render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from safecommons.cameras.models import Camera
from safecommons.cameras.selectors import registry as registry_selectors
from safecommons.cameras.services import registry as registry_services
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user


def _number_input(step: str = "any", **attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": step, "inputmode": "decimal", **attrs})


class CameraForm(forms.Form):
    """Every camera field. The checks that matter are `camera_fields_clean`'s; these bounds only help the
    browser say so sooner."""

    register_for = forms.ChoiceField(label=gettext_lazy("Whose camera is it?"), widget=forms.RadioSelect)
    site = forms.ChoiceField(label=gettext_lazy("Site"), required=False,
                             help_text=gettext_lazy("Optional: which of the organisation's sites it is at."))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120,
                           help_text=gettext_lazy("Something you recognise, e.g. 'Front door' or 'Loading dock 2'."))
    latitude = forms.FloatField(label=gettext_lazy("Latitude"), min_value=-90, max_value=90,
                                widget=_number_input(min="-90", max="90"),
                                help_text=gettext_lazy("Click the map to fill this in, or type it (e.g. 44.9801)."))
    longitude = forms.FloatField(label=gettext_lazy("Longitude"), min_value=-180, max_value=180,
                                 widget=_number_input(min="-180", max="180"))
    bearing_deg = forms.FloatField(label=gettext_lazy("Direction it points (degrees)"), min_value=-360,
                                   max_value=720, widget=_number_input(min="0", max="359"),
                                   help_text=gettext_lazy("Clockwise from north: 0 north, 90 east, 180 south, "
                                                          "270 west."))
    fov_deg = forms.FloatField(label=gettext_lazy("Field of view (degrees)"), min_value=1, max_value=360,
                               initial=90, widget=_number_input(min="1", max="360"),
                               help_text=gettext_lazy("How wide it sees; 360 for a camera that sees all around."))
    range_m = forms.FloatField(label=gettext_lazy("Range (metres)"), min_value=1,
                               max_value=registry_services.MAX_RANGE_M, initial=30,
                               widget=_number_input(min="1", max=f"{registry_services.MAX_RANGE_M:g}"),
                               help_text=gettext_lazy("How far away it can still make out a person or a car."))
    placement = forms.ChoiceField(label=gettext_lazy("Placement"), choices=Camera.Placement.choices,
                                  initial=Camera.Placement.OUTDOOR)
    retention_days = forms.IntegerField(label=gettext_lazy("Days of footage kept"), min_value=0,
                                        max_value=registry_services.MAX_RETENTION_DAYS, initial=14,
                                        help_text=gettext_lazy("After this many days the recorder overwrites it."))
    live_share_capable = forms.BooleanField(
        label=gettext_lazy("It can share a live stream"), required=False,
        help_text=gettext_lazy("Only organisations can grant live access, and only under an agreement."))
    share_exact_location = forms.BooleanField(
        label=gettext_lazy("Let police see the exact spot"), required=False,
        help_text=gettext_lazy("If ticked, police searching for cameras near an incident see exactly where this "
                               "camera is. If not, they see only the block it is on, and contact you through us. "
                               "The public never sees where any camera is."))
    preferred_contact = forms.CharField(label=gettext_lazy("Preferred contact"), max_length=200, required=False,
                                        help_text=gettext_lazy("An email address or phone number for requests "
                                                               "about this camera."))
    external_ref = forms.CharField(label=gettext_lazy("Your reference"), max_length=80, required=False,
                                   help_text=gettext_lazy("Optional: your own id for it, used to match CSV "
                                                          "re-imports."))

    FIELDS = ("name", "latitude", "longitude", "bearing_deg", "fov_deg", "range_m", "placement", "retention_days",
              "live_share_capable", "share_exact_location", "preferred_contact", "external_ref")

    def __init__(self, *args, choices: list[registry_selectors.RegisterFor] | None, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = {choice.key: choice for choice in choices or []}
        self.sites = {str(site.pk): site for site in sites}
        if choices is None:  # editing: the owner does not change
            del self.fields["register_for"]
        else:
            self.fields["register_for"].choices = [(key, _choice_label(choice)) for key, choice in self.choices.items()]
            if len(self.choices) == 1:
                self.fields["register_for"].initial = next(iter(self.choices))
        self.fields["site"].choices = [("", _("No particular site"))] + [
            (key, f"{site.name} ({site.organisation.name})") for key, site in self.sites.items()]
        if not self.sites:
            del self.fields["site"]

    def chosen(self) -> registry_selectors.RegisterFor:
        return self.choices[self.cleaned_data["register_for"]]

    def chosen_site(self):
        return self.sites.get(self.cleaned_data.get("site") or "")

    def camera_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


def _choice_label(choice: registry_selectors.RegisterFor) -> str:
    if choice.organisation is None:
        return _("Myself (a camera at my home)")
    if choice.managed_by is not None:
        return _("%(client)s, as its security company %(company)s") % {
            "client": choice.organisation.name, "company": choice.managed_by.name}
    return choice.organisation.name


class ImportForm(forms.Form):
    organisation = forms.ChoiceField(label=gettext_lazy("Import for"))
    file = forms.FileField(label=gettext_lazy("CSV file"),
                           help_text=gettext_lazy("UTF-8 text, at most %(limit)s MB.")
                           % {"limit": registry_services.IMPORT_MAX_BYTES // (1024 * 1024)})

    def __init__(self, *args, choices: list[registry_selectors.RegisterFor], **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = {choice.key: choice for choice in choices}
        self.fields["organisation"].choices = [(key, _choice_label(choice)) for key, choice in self.choices.items()]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The size is known before the file is read: a file over the limit is refused unread.
        try:
            registry_services.csv_upload_size_check(upload.size)
        except Refused as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


def _status_of(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _camera_or_404(actor, camera_id: int) -> Camera:
    try:
        return registry_selectors.camera_for_manage(actor=actor, camera_id=camera_id)
    except ObjectDoesNotExist:
        raise Http404 from None


def _map_points(cameras) -> list[dict]:
    return [{"name": c.name, "lat": c.latitude, "lon": c.longitude, "bearing": c.bearing_deg, "fov": c.fov_deg,
             "range": c.range_m, "status": c.status, "url": reverse("cameras:camera_edit", args=[c.pk])}
            for c in cameras]


@login_required
def mine(request):
    actor = actor_for_user(request.user)
    cameras = list(registry_selectors.cameras_managed(actor=actor).select_related("managed_by"))
    choices = registry_selectors.registration_choices(actor=actor)
    return render(request, "cameras/registry_mine.html", {
        "cameras": cameras, "map_points": _map_points(cameras),
        "can_import": any(choice.organisation is not None for choice in choices),
    })


@login_required
def camera_new(request):
    actor = actor_for_user(request.user)
    choices = registry_selectors.registration_choices(actor=actor)
    form = CameraForm(request.POST or None, choices=choices,
                      sites=registry_selectors.registration_sites(choices=choices))
    if request.method == "POST" and form.is_valid():
        choice = form.chosen()
        try:
            camera = registry_services.camera_register(
                actor=actor, organisation=choice.organisation, managed_by=choice.managed_by,
                site=form.chosen_site(), **form.camera_fields())
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": camera.name})
            return redirect("cameras:mine")
    return render(request, "cameras/registry_form.html", {"form": form, "camera": None}, status=_status_of(form))


@login_required
def camera_edit(request, camera_id: int):
    actor = actor_for_user(request.user)
    camera = _camera_or_404(actor, camera_id)
    sites = camera.owner_organisation.sites.select_related("organisation") if camera.owner_organisation_id else []
    initial = {name: getattr(camera, name) for name in CameraForm.FIELDS}
    initial["site"] = str(camera.site_id or "")
    form = CameraForm(request.POST or None, choices=None, sites=sites, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {"site": form.chosen_site()} if "site" in form.fields else {}
        try:
            registry_services.camera_update(actor=actor, camera=camera, **changes, **form.camera_fields())
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": camera.name})
            return redirect("cameras:mine")
    return render(request, "cameras/registry_form.html", {"form": form, "camera": camera}, status=_status_of(form))


_STATUS_DONE = {
    Camera.Status.ACTIVE: gettext_lazy("%(name)s is active again."),
    Camera.Status.PAUSED: gettext_lazy("%(name)s is paused: canvasses leave it out until you resume it."),
    Camera.Status.WITHDRAWN: gettext_lazy("%(name)s is withdrawn from the registry."),
}


@login_required
@require_POST
def camera_status(request, camera_id: int):
    actor = actor_for_user(request.user)
    camera = _camera_or_404(actor, camera_id)
    status = request.POST.get("status", "")
    try:
        registry_services.camera_status_set(actor=actor, camera=camera, status=status)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _STATUS_DONE[Camera.Status(status)] % {"name": camera.name})
    return redirect("cameras:mine")


@login_required
def camera_import(request):
    actor = actor_for_user(request.user)
    choices = [c for c in registry_selectors.registration_choices(actor=actor) if c.organisation is not None]
    if not choices:
        raise PermissionDenied("camera.register")
    form = ImportForm(request.POST or None, request.FILES or None, choices=choices)
    report = None
    if request.method == "POST" and form.is_valid():
        choice = form.choices[form.cleaned_data["organisation"]]
        try:
            text = registry_services.csv_upload_text(form.cleaned_data["file"].read())
            report = registry_services.cameras_import_csv(actor=actor, organisation=choice.organisation,
                                                          managed_by=choice.managed_by, text=text)
        except Refused as exc:
            form.add_error("file", str(exc))
    return render(request, "cameras/registry_import.html", {
        "form": form, "report": report, "columns": registry_services.CSV_COLUMNS,
        "required": registry_services.CSV_REQUIRED,
    }, status=_status_of(form))


urlpatterns = [
    path("", mine, name="mine"),
    path("new/", camera_new, name="camera_new"),
    path("import/", camera_import, name="camera_import"),
    path("<int:camera_id>/edit/", camera_edit, name="camera_edit"),
    path("<int:camera_id>/status/", camera_status, name="camera_status"),
]
