from django.contrib import admin

from safecommons.incidents.models import AlarmEvent, AlarmPermit, Commendation, Incident, IncidentEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Looked at here, never changed: these rows change only through the services, which keep the
    timeline, the broadcast and the audit trail in step."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AlarmPermit)
class AlarmPermitAdmin(admin.ModelAdmin):
    """The permits an agency issued, and which company monitors each: an alarm naming any other is refused."""

    list_display = ["number", "address", "agency", "monitoring_company", "is_active"]
    list_filter = ["is_active", "agency", "monitoring_company"]
    list_select_related = ["agency", "monitoring_company"]
    search_fields = ["number", "address"]
    raw_id_fields = ["site"]


@admin.register(AlarmEvent)
class AlarmEventAdmin(ReadOnlyAdmin):
    """Each event as a center sent it and what it was answered: the record a resend is answered from."""

    list_display = ["event_id", "company", "permit", "outcome", "reason", "incident", "event_received_at",
                    "received_at"]
    list_filter = ["outcome", "reason", "company"]
    list_select_related = ["company", "permit", "incident__site"]
    search_fields = ["event_id", "permit__number"]
    date_hierarchy = "received_at"


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "type", "source", "status", "disposition", "agency", "company", "address", "priority",
                    "alarm_count", "received_at"]
    list_filter = ["status", "source", "type", "disposition", "agency"]
    list_select_related = ["agency", "company"]
    search_fields = ["address", "summary", "assigned_unit"]
    date_hierarchy = "received_at"


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "incident", "kind", "side", "actor_label", "created_at"]
    list_filter = ["kind", "side"]
    list_select_related = ["incident__site"]
    search_fields = ["=incident__id", "actor_label", "text"]


@admin.register(Commendation)
class CommendationAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "agency", "recipient", "issued_at", "public_consent"]
    list_filter = ["agency", "public_consent"]
    list_select_related = ["agency", "recipient"]
    search_fields = ["number", "title"]
