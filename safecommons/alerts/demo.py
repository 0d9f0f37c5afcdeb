"""Riverton's alerts: safety tips, subscriptions, a published alert, one waiting for approval, a drill to the
test list, and a newsletter draft. Everything goes through the services, as staff would do it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

DEMO_TIPS = {
    "en": [
        ("Lock up, light up", "Most garage and shed break-ins in Riverton happen through unlocked doors. Lock them at "
                              "night and leave an outside light on a timer."),
        ("Nothing on the seat", "Take bags, phones and chargers out of sight before you leave the car, even for a "
                                "few minutes."),
        ("Know your neighbors", "Swap numbers with the people next door: they notice first when something is wrong."),
    ],
    "es": [
        ("Cierre y encienda la luz", "La mayoría de los robos en garajes y cobertizos de Riverton entran por puertas "
                                     "sin llave. Ciérrelas de noche y deje una luz exterior con temporizador."),
        ("Nada en el asiento", "Guarde bolsos, teléfonos y cargadores fuera de la vista antes de dejar el auto, "
                               "aunque sea por unos minutos."),
        ("Conozca a sus vecinos", "Intercambie teléfonos con sus vecinos: ellos notan primero cuando algo anda mal."),
    ],
}


def demo_alerts_load(city):
    """Add alerts, subscriptions and a newsletter draft to a freshly loaded Riverton (nothing if it was there)."""
    if not city.loaded:
        return city
    from safecommons.accounts.models import User
    from safecommons.alerts.models import Alert, Newsletter, Severity, Topic, Urgency
    from safecommons.alerts.selectors.newsletters import last_ended_start
    from safecommons.alerts.services import alerts as alert_services
    from safecommons.alerts.services import newsletters as newsletter_services
    from safecommons.alerts.services import subscriptions as subscription_services
    from safecommons.core.permissions import actor_for_user
    from safecommons.demo.city import AGENCY_NAME, EMAIL_DOMAIN, address_position
    from safecommons.partners.models import Organisation
    from safecommons.places.selectors import areas_at_point

    def actor(local: str):
        return actor_for_user(User.objects.get(email=f"{local}@{EMAIL_DOMAIN}"))

    from safecommons.core.audit.models import AuditEntry

    audit_before = AuditEntry.objects.count()
    agency = Organisation.objects.get(name=AGENCY_NAME)
    liaison, supervisor, officer, admin = actor("liaison"), actor("supervisor"), actor("officer"), actor("admin")
    for language, tips in DEMO_TIPS.items():
        for title, body in tips:
            newsletter_services.safety_tip_save(actor=liaison, agency=agency, language=language, title=title,
                                                body=body)

    # The resident's home: 120 Oak St, alerts within 1 km and their neighborhood's newsletter.
    lon, lat = address_position(120, "Oak St")
    neighborhood = next(a for a in areas_at_point(longitude=lon, latitude=lat) if a.kind == "neighborhood")
    resident = User.objects.get(email=f"resident@{EMAIL_DOMAIN}")
    created = subscription_services.subscription_create(
        actor=actor_for_user(resident), user=resident,
        data=subscription_services.SubscriptionInput(
            topics=[Topic.CRIME, Topic.EMERGENCY, Topic.MISSING_PERSON, Topic.NEWSLETTER], label="Home",
            latitude=lat, longitude=lon, radius_m=1000, area_ids=[neighborhood.pk], email=resident.email))
    channel = created.subscription.channels.get(channel="email")
    subscription_services.subscription_confirm(channel=channel)  # the demo resident clicked the link
    subscription_services.test_list_add(actor=admin, agency=agency, email=f"admin@{EMAIL_DOMAIN}",
                                        label="Admin's test inbox")

    now = timezone.now()
    words = alert_services.InfoText
    published = alert_services.alert_compose(actor=liaison, agency=agency, draft=alert_services.AlertDraft(
        event="Garage break-ins", area_description=f"Around Oak St, {neighborhood.name}",
        urgency=Urgency.EXPECTED, severity=Severity.MODERATE, onset=now, expires=now + timedelta(days=3),
        circles=[{"lat": lat, "lon": lon, "radius_m": 800}],
        infos={"en": words("Garage break-ins around Oak St",
                           "Four garages around Oak St were broken into over the last two nights, through side "
                           "doors left unlocked. Bikes and tools were taken.",
                           "Lock garage side doors and report anything unusual on the tip line."),
               "es": words("Robos en garajes cerca de Oak St",
                           "Cuatro garajes cerca de Oak St fueron robados en las dos últimas noches, por puertas "
                           "laterales sin llave. Se llevaron bicicletas y herramientas.",
                           "Cierre las puertas laterales del garaje e informe de cualquier cosa inusual.")}))
    alert_services.alert_submit(actor=liaison, alert=published)
    alert_services.alert_approve(actor=supervisor, alert=published)

    waiting = alert_services.alert_compose(actor=officer, agency=agency, draft=alert_services.AlertDraft(
        event="Road closure", topic=Topic.TRAFFIC, area_description="Oak St, 100 to 400 blocks",
        urgency=Urgency.FUTURE, severity=Severity.MINOR, onset=now + timedelta(days=1),
        expires=now + timedelta(days=2), area_ids=[neighborhood.pk],
        infos={"en": words("Oak St closed tomorrow for water main work",
                           "Oak St is closed to traffic for a day from tomorrow morning while the city replaces a "
                           "water main.",
                           "Use Maple Ave instead; sidewalks stay open.")}))
    alert_services.alert_submit(actor=officer, alert=waiting)  # waits for the supervisor's approval

    drill = alert_services.alert_compose(actor=liaison, agency=agency, draft=alert_services.AlertDraft(
        event="Shelter-in-place drill", topic=Topic.EMERGENCY, cap_status=Alert.CapStatus.EXERCISE,
        area_description="Around Oak St", urgency=Urgency.IMMEDIATE, severity=Severity.SEVERE,
        onset=now, expires=now + timedelta(hours=2), circles=[{"lat": lat, "lon": lon, "radius_m": 1500}],
        infos={"en": words("Drill: shelter in place", "This is a drill of the shelter-in-place alert.",
                           "No action needed.")}))
    alert_services.alert_submit(actor=liaison, alert=drill)  # a drill goes out at once, to the test list only

    newsletter_services.newsletter_prepare(
        actor=liaison, area=neighborhood, period=Newsletter.Period.MONTHLY,
        period_start=last_ended_start(period=Newsletter.Period.MONTHLY, today=timezone.localdate()))

    audit_entries = city.counts.pop("audit entries", 0)  # kept last in the printed summary
    city.counts["alert subscriptions"] = 2
    city.counts["alerts"] = Alert.objects.filter(agency=agency).count()
    city.counts["audit entries"] = audit_entries + AuditEntry.objects.count() - audit_before
    return city
