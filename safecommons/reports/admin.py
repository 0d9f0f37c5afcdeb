from django.contrib import admin

from safecommons.reports.models import ServiceAttribute, ServiceRequest, ServiceRequestUpdate, ServiceType


class ServiceAttributeInline(admin.TabularInline):
    model = ServiceAttribute
    extra = 0


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "group", "agency", "is_active"]
    list_filter = ["agency", "group", "is_active"]
    search_fields = ["name", "code", "keywords"]
    inlines = [ServiceAttributeInline]


class ServiceRequestUpdateInline(admin.TabularInline):
    model = ServiceRequestUpdate
    extra = 0
    can_delete = False
    readonly_fields = ["status", "previous_status", "note", "author", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Read-only here: status changes go through the staff page, which tells the reporter and audits."""

    list_display = ["pk", "service", "agency", "status", "submitted_via", "requested_at"]
    list_filter = ["status", "submitted_via", "agency"]
    inlines = [ServiceRequestUpdateInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
