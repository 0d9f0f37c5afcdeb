from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from safecommons.accounts.models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["organisation", "unit", "role", "title", "ended_at"]


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = ["email", "display_name", "is_active", "is_staff", "last_login"]
    search_fields = ["email", "display_name"]
    ordering = ["email"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["display_name", "phone", "preferred_language"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "username", "password1", "password2"]})]

    def has_change_permission(self, request, obj=None):
        # Roles change through memberships (audited services), not by editing people here.
        return request.user.is_superuser
