"""What the public may see of each offense group: the defaults, and an agency's own rules over them.

Sensitive groups are never shown at a point, only as counts per area, with small counts withheld; an
agency can make any group stricter or, for a non-sensitive group, looser (`PublicationRule`).
"""

from __future__ import annotations

from dataclasses import dataclass

from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.nibrs import OffenseGroup

Display = PublicationRule.Display

SENSITIVE_GROUPS = frozenset({
    OffenseGroup.SEX_OFFENSE, OffenseGroup.DOMESTIC_VIOLENCE, OffenseGroup.OFFENSE_AGAINST_CHILD,
    OffenseGroup.FAMILY_OFFENSE, OffenseGroup.KIDNAPPING,
})
DEFAULT_MIN_COUNT = 3
DEFAULT_DISPLAY: dict[str, str] = {
    **{group.value: Display.POINT.value for group in OffenseGroup},
    **{group.value: Display.AREA.value for group in SENSITIVE_GROUPS},
    # Nobody knows what an unmapped offense is, so nobody outside the agency sees it.
    OffenseGroup.UNCLASSIFIED.value: Display.HIDDEN.value,
}


@dataclass(frozen=True)
class Policy:
    """One agency's publication policy, resolved: group → display, group → smallest count shown."""

    display: dict[str, str]
    min_count: dict[str, int]

    def groups(self, display: str) -> set[str]:
        return {group for group, shown in self.display.items() if shown == display}

    @property
    def point_groups(self) -> set[str]:
        return self.groups(Display.POINT)

    @property
    def public_groups(self) -> set[str]:
        """Groups the public sees in any form (points or area counts)."""
        return self.groups(Display.POINT) | self.groups(Display.AREA)


def policy_for(*, agency_id: int) -> Policy:
    """The agency's rules over the defaults. A sensitive group can never be set to show points, nor to show
    counts below DEFAULT_MIN_COUNT."""
    display = dict(DEFAULT_DISPLAY)
    min_count = {group.value: DEFAULT_MIN_COUNT for group in OffenseGroup}
    for rule in PublicationRule.objects.filter(agency_id=agency_id):
        shown = rule.display
        if rule.offense_group in SENSITIVE_GROUPS and shown == Display.POINT:
            shown = Display.AREA  # belt and braces: the form refuses it too
        display[rule.offense_group] = shown
        # Likewise a sensitive group's counts are never shown below the default threshold, whatever a row says.
        floor = DEFAULT_MIN_COUNT if rule.offense_group in SENSITIVE_GROUPS else 1
        min_count[rule.offense_group] = max(rule.min_count, floor)
    return Policy(display=display, min_count=min_count)
