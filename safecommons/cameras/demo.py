"""Riverton's camera registry: a resident's doorbell, a property manager's cameras (shared exactly, some
live-capable), a shopping center whose agreement has expired (so a canvass never shows it), and
neighbours' cameras clustered along a few streets, dense enough for the public coverage map to show.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

import h3
from django.utils import timezone

from safecommons.accounts.models import User
from safecommons.cameras.models import Camera, FootageRequest, Offense
from safecommons.cameras.selectors import canvass as canvass_selectors
from safecommons.cameras.services import canvass as canvass_services
from safecommons.cameras.services import registry
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.partners.models import Organisation

RESIDENT_HOUSE = 240  # Maple Ave, a block from the property manager's apartments at 220
NEIGHBOURS = 36  # residents with cameras, besides the demo resident (accounts that cannot sign in)
SEED = 20261201


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (round(lon + east_m / (111_320 * math.cos(math.radians(lat))), 6), round(lat + north_m / 110_540, 6))


def demo_cameras_load(city):
    """Add the camera registry to a freshly loaded Riverton (does nothing if the city was already there)."""
    from safecommons.demo.city import EAST_WEST_STREETS, EMAIL_DOMAIN, address_position, house_numbers

    if not city.loaded:
        return city
    rng = random.Random(SEED)
    audit_before = AuditEntry.objects.count()

    resident = actor_for_user(User.objects.get(email=f"resident@{EMAIL_DOMAIN}"))
    lon, lat = address_position(RESIDENT_HOUSE, "Maple Ave")
    registry.camera_register(actor=resident, name="Front door (doorbell)", longitude=lon, latitude=lat,
                             bearing_deg=180, fov_deg=140, range_m=12, retention_days=30,
                             preferred_contact=f"resident@{EMAIL_DOMAIN}")
    east, north = _offset(lon, lat, 8, 3)
    registry.camera_register(actor=resident, name="Driveway", longitude=east, latitude=north, bearing_deg=135,
                             fov_deg=100, range_m=20, retention_days=7)

    apartments = Organisation.objects.get(slug="riverbend-property-management")
    manager = actor_for_user(User.objects.get(email=f"partner.admin@{EMAIL_DOMAIN}"))
    for site in apartments.sites.all():
        for n, (bearing, name) in enumerate([(0, "North entrance"), (90, "Garage ramp"), (180, "South lot"),
                                             (270, "Mail room door"), (45, "Bike store")]):
            east_m, north_m = 25 * math.sin(math.radians(bearing)), 25 * math.cos(math.radians(bearing))
            c_lon, c_lat = _offset(site.longitude, site.latitude, east_m, north_m)
            registry.camera_register(
                actor=manager, organisation=apartments, name=f"{site.name}: {name}", longitude=c_lon,
                latitude=c_lat, bearing_deg=bearing, fov_deg=90, range_m=40, retention_days=14,
                live_share_capable=n < 2, share_exact_location=True,
                preferred_contact="afterhours@riverbend.example", external_ref=f"RB-{site.pk}-{n}",
            )

    # The shopping center's cameras came in by CSV before its agreement lapsed; nobody signs in for it here.
    retail = Organisation.objects.get(slug="northgate-shopping-center")
    site = retail.sites.first()
    for n in range(8):
        c_lon, c_lat = _offset(site.longitude, site.latitude, rng.uniform(-60, 60), rng.uniform(-40, 40))
        data = registry.camera_fields_clean({
            "external_ref": f"NG-{n:02d}", "name": f"Parking camera {n + 1}", "latitude": c_lat, "longitude": c_lon,
            "bearing_deg": rng.randrange(360), "fov_deg": 90, "range_m": 60, "retention_days": 30,
            "share_exact_location": True, "preferred_contact": "security@northgate.example"})
        Camera.objects.create(owner_organisation=retail,
                              coverage_cell=h3.latlng_to_cell(c_lat, c_lon, registry.COVERAGE_RESOLUTION), **data)

    # Neighbours along three streets, a few houses apart: enough cameras per cell to show on the public map.
    streets = EAST_WEST_STREETS[:3]
    for n in range(NEIGHBOURS):
        user = User.objects.create_user(email=f"neighbour{n + 1}@households.{EMAIL_DOMAIN}", password=None,
                                        display_name=f"Neighbour {n + 1}")
        neighbour = actor_for_user(user)
        street = streets[n % len(streets)]
        number = rng.choice(list(house_numbers(street))[4:16])
        h_lon, h_lat = address_position(number, street)
        for k in range(rng.choice((1, 2, 2, 3))):
            c_lon, c_lat = _offset(h_lon, h_lat, rng.uniform(-6, 6), rng.uniform(-6, 6))
            registry.camera_register(
                actor=neighbour, name=("Doorbell", "Porch", "Back yard")[k], longitude=c_lon, latitude=c_lat,
                bearing_deg=rng.choice((0, 180)) + rng.uniform(-20, 20), fov_deg=rng.choice((90, 110, 140)),
                range_m=rng.choice((10, 15, 20, 30)), retention_days=rng.choice((3, 7, 14, 30, 60)),
                share_exact_location=rng.random() < 0.3,
            )
    _demo_canvass()
    city.counts["cameras"] = Camera.objects.count()
    city.counts["footage requests"] = FootageRequest.objects.count()
    city.counts["audit entries"] += AuditEntry.objects.count() - audit_before
    return city


def _demo_canvass() -> None:
    """A break-in between the apartments and the resident's house three nights ago: the officer canvassed
    and asked the resident and the property manager for footage (both requests wait for an answer)."""
    from safecommons.demo.city import AGENCY_NAME, EMAIL_DOMAIN, address_position

    officer = actor_for_user(User.objects.get(email=f"officer@{EMAIL_DOMAIN}"))
    agency = Organisation.objects.get(name=AGENCY_NAME)
    lon, lat = address_position(230, "Maple Ave")
    # 9 to 11 in the evening, three days ago, local time.
    end = timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0) - timedelta(days=3)
    canvass = canvass_services.canvass_open(
        actor=officer, agency=agency, case_number="RPD-2026-04417", offense=Offense.BURGLARY,
        reason="Garage break-in at night; looking for the suspects' vehicle on Maple Ave.",
        longitude=lon, latitude=lat, radius_m=150, window_start=end - timedelta(hours=2), window_end=end)
    rows = canvass_selectors.canvass_results(actor=officer, canvass=canvass)
    resident_camera = next(row.camera_id for row in rows if row.owner_kind == canvass_selectors.OwnerKind.RESIDENT
                           and Camera.objects.filter(pk=row.camera_id, owner_user__email=f"resident@{EMAIL_DOMAIN}")
                           .exists())
    business_camera = next(row.camera_id for row in rows
                           if row.owner_kind == canvass_selectors.OwnerKind.ORGANISATION)
    canvass_services.footage_requests_send(actor=officer, canvass=canvass,
                                           camera_ids=[resident_camera, business_camera])
