from django.contrib import admin

from safecommons.incidents.models import AlarmEvent, AlarmPermit


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


# Incidents, their timelines and commendations are not in the admin: every look at an incident's details is
# audited, which the admin's lists and searches would bypass. Their pages are the place to read them.
