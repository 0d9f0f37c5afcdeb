"""What an agency admin sets about the public crime map: how each offense group is published."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.crimedata import publication
from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.partners.models import Organisation

Display = PublicationRule.Display
MAX_MIN_COUNT = 50


@dataclass(frozen=True)
class GroupChoice:
    display: str
    min_count: int


class PublicationRefused(Refused):
    """A change refused because of one or more groups' choices: `problems` holds each group's reasons."""

    def __init__(self, problems: Mapping[str, list[str]]):
        self.problems = dict(problems)
        super().__init__(" ".join(message for messages in self.problems.values() for message in messages))


def _problems(group: str, choice: GroupChoice) -> list[str]:
    if group not in OffenseGroup.values:
        return [_("There is no offense group %(group)s.") % {"group": group}]
    if group == OffenseGroup.UNCLASSIFIED:
        return [_("Unclassified offenses are never published: nobody knows what they are.")]
    label = OffenseGroup(group).label
    problems = []
    if choice.display not in Display.values:
        problems.append(_("Choose how %(group)s is published.") % {"group": label})
    if group in publication.SENSITIVE_GROUPS and choice.display == Display.POINT:
        problems.append(_("%(group)s can never be shown at a point on the public map, even generalised: a "
                          "place could point at a victim's home. Choose area counts or not published.")
                        % {"group": label})
    if not 1 <= choice.min_count <= MAX_MIN_COUNT:
        problems.append(_("The smallest count shown for %(group)s must be from 1 to %(most)d.")
                        % {"group": label, "most": MAX_MIN_COUNT})
    elif group in publication.SENSITIVE_GROUPS and choice.min_count < publication.DEFAULT_MIN_COUNT:
        problems.append(_("For %(group)s, counts below %(least)d are always withheld: set at least %(least)d.")
                        % {"group": label, "least": publication.DEFAULT_MIN_COUNT})
    return problems


def publication_choices_check(*, choices: Mapping[str, GroupChoice]) -> dict[str, list[str]]:
    """Every reason the choices cannot be saved, per offense group (groups without a problem left out): an
    unknown or unclassified group, a display that does not exist, a sensitive group at a point, a smallest
    count out of range or, for a sensitive group, below the default."""
    problems = {group: _problems(group, choice) for group, choice in choices.items()}
    return {group: messages for group, messages in problems.items() if messages}


def publication_rules_set(*, actor: Actor, agency: Organisation,
                          choices: Mapping[str, GroupChoice]) -> dict[str, dict[str, object]]:
    """Set how the agency publishes the given offense groups. Refuses the whole change (nothing written)
    when any choice is not allowed (`PublicationRefused`, with every group's reasons): a sensitive group at
    a point, an unclassified group at all, a smallest count out of range. Writes only what changed, and one
    audit entry listing each change.
    Returns {group: {"display": [before, after], "min_count": [before, after]}} of the changes."""
    require(actor, "crime.publication", agency)
    problems = publication_choices_check(choices=choices)
    if problems:
        raise PublicationRefused(problems)
    with transaction.atomic():
        current = publication.policy_for(agency_id=agency.pk)
        changes: dict[str, dict[str, object]] = {}
        for group, choice in choices.items():
            before = (current.display[group], current.min_count[group])
            if before == (choice.display, choice.min_count):
                continue
            PublicationRule.objects.update_or_create(
                agency=agency, offense_group=group,
                defaults={"display": choice.display, "min_count": choice.min_count, "updated_by_id": actor.user_id})
            changes[group] = {"display": [before[0], choice.display], "min_count": [before[1], choice.min_count]}
        if changes:
            audit_record(action="crime.publication_set", actor=actor, organisation=agency,
                         object_type="crimedata.publicationrule", object_id=agency.pk, details={"changes": changes})
    return changes
