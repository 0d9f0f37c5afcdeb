from django.contrib import admin
from django.shortcuts import redirect

from safecommons.places.models import Area, AreaImport, OfficerAssignment


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "agency"]
    list_filter = ["kind", "agency"]
    search_fields = ["name", "code"]
    readonly_fields = ["geometry", "min_lon", "min_lat", "max_lon", "max_lat"]

    def add_view(self, request, form_url="", extra_context=None):
        # Areas come from GeoJSON, through the import that checks every geometry.
        return redirect("places:import")


@admin.register(AreaImport)
class AreaImportAdmin(admin.ModelAdmin):
    list_display = ["original_name", "agency", "kind", "status", "created", "updated", "created_at"]
    readonly_fields = [f.name for f in AreaImport._meta.fields]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("places:import")


@admin.register(OfficerAssignment)
class OfficerAssignmentAdmin(admin.ModelAdmin):
    list_display = ["officer", "area", "duty", "starts_on", "ends_on"]
    list_filter = ["duty"]
