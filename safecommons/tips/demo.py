"""Riverton's tip line: routing and retention rules, and a few tips to triage.

One demo tip has a fixed code and passphrase (README), so a visitor can see the tipster's side of a
conversation without sending a tip first. Real tips never get a chosen code.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from safecommons.accounts.models import User
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.partners.models import Organisation
from safecommons.tips import credentials, services
from safecommons.tips.models import Category, Priority, RetentionRule, RoutingRule, Status, Tip

DEMO_TIP_CODE = "RVTN-DEM0-T1P0-0000-0000-0000-00"
DEMO_TIP_PASSPHRASE = "demo-tipp-line-rive-rton-case"  # noqa: S105  (published: opens one demo tip)

# category, unit code or None, refer to (organisation slug) or None, priority or None
ROUTING = [
    (Category.CYBER, "cyber", None, None),
    (Category.MENTAL_HEALTH, None, "riverton-crisis-response", Priority.HIGH),
    (Category.SCHOOL_SAFETY, "school-resource", None, Priority.HIGH),
    (Category.WEAPONS, "investigations", None, Priority.URGENT),
    (Category.HOMICIDE, "investigations", None, Priority.URGENT),
]
# status, category, keep days
RETENTION = [
    (Status.CLOSED, "", 365),
    (Status.CLOSED, Category.HOMICIDE, 3650),
    ("", "", 730),
]
# category, address, description, vehicles, days ago
TIPS = [
    (Category.DRUGS, "420 Oak St", "Cars stop outside the blue house for two minutes at a time, every evening "
     "after 9 pm. Someone comes out to each car.", "Silver sedan RVT1234, a black pickup", 9),
    (Category.DRUGS, "440 Oak St", "Evening traffic again at the blue house: cars stop for a minute or two, a man "
     "walks out to each car.", "Silver sedan RVT1234", 2),
    (Category.CYBER, "", "A text message claiming to be from Riverton Water asks people to pay an overdue bill "
     "through a link. Several neighbours got it.", "", 1),
    (Category.MENTAL_HEALTH, "300 Maple Ave", "A man sleeping at the bus shelter talks about hurting himself. "
     "He has been there three nights.", "", 0),
    (Category.VEHICLE_THEFT, "760 Cedar St", "Two people trying car door handles along the street around 3 am.",
     "White hatchback, no front plate", 4),
]


def demo_tips_load(city):
    """Add the tip line to a freshly loaded Riverton (does nothing if the city was already there)."""
    from safecommons.demo.city import AGENCY_NAME, EMAIL_DOMAIN

    if not city.loaded:
        return city
    audit_before = AuditEntry.objects.count()
    agency = Organisation.objects.get(name=AGENCY_NAME)

    def actor(local_part: str):
        return actor_for_user(User.objects.get(email=f"{local_part}@{EMAIL_DOMAIN}"))

    admin, analyst, supervisor = actor("admin"), actor("analyst"), actor("supervisor")
    for category, unit, partner, priority in ROUTING:
        services.routing_rule_save(
            actor=admin, agency=agency, category=category, set_priority=priority,
            assign_unit=agency.units.get(code=unit) if unit else None,
            refer_to=Organisation.objects.get(slug=partner) if partner else None,
        )
    for status, category, days in RETENTION:
        services.retention_rule_save(actor=admin, agency=agency, status=status, category=category, keep_days=days)

    now = timezone.now()
    tips = []
    for category, address, description, vehicles, days_ago in TIPS:
        receipt = services.tip_submit(
            data=services.TipInput(category=category, description=description, vehicles_seen=vehicles,
                                   location_kind="address" if address else "unknown", location_text=address,
                                   occurred_at=now - timedelta(days=days_ago, hours=2)),
            client_key="demo-city-loader",
        )
        Tip.objects.filter(pk=receipt.tip.pk).update(created_at=now - timedelta(days=days_ago))
        services.tip_process(tip_id=receipt.tip.pk)
        tips.append(Tip.objects.get(pk=receipt.tip.pk))

    # The tip a visitor can open with the README's code and passphrase: a question awaits them.
    demo = tips[1]
    Tip.objects.filter(pk=demo.pk).update(code_digest=credentials.code_digest(DEMO_TIP_CODE),
                                          passphrase_hash=credentials.passphrase_hash(DEMO_TIP_PASSPHRASE))
    services.tip_message_send(actor=analyst, tip=demo, body="Thank you, this helps. An officer will look into it.")
    services.tip_message_send(actor=analyst, tip=demo, is_question=True,
                              body="Do the cars come on weekends too, or only on weeknights?")
    services.tip_reward_set(actor=supervisor, tip=tips[0], amount=Decimal("250.00"))
    city.counts.update({
        "tip routing rules": RoutingRule.objects.filter(agency=agency).count(),
        "tip retention rules": RetentionRule.objects.filter(agency=agency).count(),
        "tips": Tip.objects.filter(agency=agency).count(),
    })
    city.counts["audit entries"] = city.counts.get("audit entries", 0) + AuditEntry.objects.count() - audit_before
    return city
