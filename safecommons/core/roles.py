"""The roles people hold through memberships, and which of them count as agency or partner staff."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    PARTNER_MEMBER = "partner_member", _("Partner member")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    SECURITY_OPERATOR = "security_operator", _("Security operator")
    OFFICER = "officer", _("Officer")
    LIAISON = "liaison", _("Community liaison officer")
    ANALYST = "analyst", _("Crime analyst")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENCY_ADMIN = "agency_admin", _("Agency admin")
    OVERSIGHT = "oversight", _("Oversight")


AGENCY_ROLES = frozenset({Role.OFFICER, Role.LIAISON, Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN})
PARTNER_ROLES = frozenset({Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR})
# Anyone holding one of these cannot sign in with a password alone.
MFA_ROLES = AGENCY_ROLES | PARTNER_ROLES | {Role.OVERSIGHT}
# Sessions of these end after STAFF_IDLE_MINUTES without a request.
IDLE_LIMITED_ROLES = AGENCY_ROLES | {Role.OVERSIGHT}
