from django.contrib import admin

from safecommons.partners.models import Agreement, AgreementGrant, AgreementParty, Contact, Organisation, Site, Unit


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_listed"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [UnitInline, SiteInline, ContactInline]


class PartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0


class GrantInline(admin.TabularInline):
    model = AgreementGrant
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """Read-only here: agreements change through audited services and the agency's pages."""

    list_display = ["title", "status", "effective_from", "expires_on"]
    inlines = [PartyInline, GrantInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
