"""Riverton: a fictional city to try SafeCommons with (`manage.py load_demo_city`).

One agency, its areas (jurisdiction, sectors, beats, neighborhoods), a street gazetteer, partner
organisations with sites and contacts, one demo person per role, officer assignments and five
agreements (active, expired and draft). Seed rows are written directly; areas, addresses, officer
assignments and agreements go through the services, so the audit trail shows how the city was set up.

Everything here is invented: the coordinates sit near lon -93.27, lat 44.98 but name no real place,
and every address, phone number (555-01xx) and email (*.example) is fictional.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise

from django.db import transaction
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecommons.accounts.models import Membership, User
from safecommons.alerts.demo import demo_alerts_load
from safecommons.cameras.demo import demo_cameras_load
from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.services import audit_record
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata.demo import demo_crime_load
from safecommons.incidents.demo import DEMO_ALARM_KEY, demo_incidents_load
from safecommons.partners.models import (
    Agreement,
    AgreementGrant,
    Contact,
    Organisation,
    OrganisationKind,
    PropertyType,
    Scope,
    Site,
    Unit,
)
from safecommons.partners.services import GrantSpec, agreement_create
from safecommons.places.models import Area, AreaKind, OfficerAssignment
from safecommons.places.services import addresses_import, areas_import_geojson, officer_assign
from safecommons.reports.demo import demo_reports_load
from safecommons.tips.demo import demo_tips_load

AGENCY_NAME = "Riverton Police Department"
EMAIL_DOMAIN = "riverton.example"
DEMO_PASSWORD = "Demo-pass-2026!"  # noqa: S105  (published on purpose: it signs in to the demo only)
POSTCODE = "55501"

# One authenticator secret shared by every demo staff account, so a tester adds it to an app once.
# The 20 bytes spell "riverton-demo-secret". Never use a published secret outside the demo.
DEMO_TOTP_KEY_HEX = "7269766572746f6e2d64656d6f2d736563726574"
DEMO_TOTP_SECRET = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode("ascii").rstrip("=")
TOTP_STEP = 30  # seconds; TOTPDevice's default step

# --- Geography. The jurisdiction is a box of about 8 km (east-west) by 6 km (north-south);
# everything inside it is placed by fractions (fx west→east, fy south→north) of that box.

WEST, EAST = -93.320, -93.220  # 0.100° of longitude at 44.98° N ≈ 7.9 km
SOUTH, NORTH = 44.953, 45.007  # 0.054° of latitude ≈ 6.0 km


def _lon_lat(fx: float, fy: float) -> tuple[float, float]:
    return round(WEST + fx * (EAST - WEST), 6), round(SOUTH + fy * (NORTH - SOUTH), 6)


def _polygon(fx0: float, fy0: float, fx1: float, fy1: float) -> dict:
    """A rectangle (in fractions of the jurisdiction) with a midpoint on each side, counter-clockwise."""
    fxm, fym = (fx0 + fx1) / 2, (fy0 + fy1) / 2
    corners = [
        (fx0, fy0),
        (fxm, fy0),
        (fx1, fy0),
        (fx1, fym),
        (fx1, fy1),
        (fxm, fy1),
        (fx0, fy1),
        (fx0, fym),
        (fx0, fy0),
    ]
    return {"type": "Polygon", "coordinates": [[list(_lon_lat(fx, fy)) for fx, fy in corners]]}


def _feature(code: str, name: str, geometry: dict, **properties) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name, **properties}, "geometry": geometry}


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


JURISDICTION_CODE = "RIVERTON"
SECTORS = [("S", "South Sector", 0.0, 0.5), ("N", "North Sector", 0.5, 1.0)]  # code, name, fy from, fy to
BEAT_COLUMNS = [0.0, 1 / 3, 2 / 3, 1.0]
# Neighborhoods cut the city along other lines than the beats do: a resident's neighborhood is not a beat.
NEIGHBORHOOD_COLUMNS = [0.0, 0.29, 0.60, 1.0]
NEIGHBORHOOD_ROWS = [0.0, 0.36, 0.70, 1.0]
NEIGHBORHOOD_NAMES = [  # rows south → north, each west → east
    ["Old Mill", "Riverside", "Harbor Flats"],
    ["Foundry District", "Market Square", "Lakeview"],
    ["Cedar Park", "Northgate", "Elm Heights"],
]


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def jurisdiction_geojson() -> dict:
    return _collection([_feature(JURISDICTION_CODE, "City of Riverton", _polygon(0, 0, 1, 1))])


def sectors_geojson() -> dict:
    return _collection([_feature(code, name, _polygon(0, fy0, 1, fy1)) for code, name, fy0, fy1 in SECTORS])


def beat_codes() -> list[tuple[str, str]]:
    """(beat code, sector code), three beats per sector numbered west to east."""
    return [(f"{sector}{n}", sector) for sector, *_ in SECTORS for n in range(1, len(BEAT_COLUMNS))]


def beats_geojson() -> dict:
    features = []
    for sector, _, fy0, fy1 in SECTORS:
        for n, (fx0, fx1) in enumerate(pairwise(BEAT_COLUMNS), start=1):
            features.append(
                _feature(f"{sector}{n}", f"Beat {sector}{n}", _polygon(fx0, fy0, fx1, fy1), sector=sector)
            )
    return _collection(features)


def neighborhoods_geojson() -> dict:
    features = []
    for names, (fy0, fy1) in zip(NEIGHBORHOOD_NAMES, pairwise(NEIGHBORHOOD_ROWS), strict=True):
        for name, (fx0, fx1) in zip(names, pairwise(NEIGHBORHOOD_COLUMNS), strict=True):
            features.append(_feature(_slug(name), name, _polygon(fx0, fy0, fx1, fy1)))
    return _collection(features)


# --- The street grid. East-west streets (south → north) cross numbered north-south streets
# (west → east). House numbers run in blocks of 100, every 20, growing eastwards and northwards;
# the 100 block is the one before the first cross street.

EAST_WEST_STREETS = [
    "Oak St",
    "Maple Ave",
    "Cedar St",
    "Pine St",
    "Elm St",
    "Birch Ave",
    "Walnut St",
    "Chestnut St",
]


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


NORTH_SOUTH_STREETS = [f"{_ordinal(n)} St" for n in range(1, 13)]
HOUSE_STEP = 20


def _blocks_along(street: str) -> int:
    """How many 100-blocks a street has: one more than the streets crossing it."""
    crossing = NORTH_SOUTH_STREETS if street in EAST_WEST_STREETS else EAST_WEST_STREETS
    return len(crossing) + 1


def house_numbers(street: str) -> range:
    return range(100, 100 * (_blocks_along(street) + 1), HOUSE_STEP)


def address_position(number: int, street: str) -> tuple[float, float]:
    """(longitude, latitude) of a gazetteer address. Houses sit inside their block, never on a cross
    street, and the cut lines of beats, sectors and neighborhoods fall between houses."""
    block, rest = divmod(number, 100)
    along = (block - 1 + (rest + 12) / 100) / _blocks_along(street)
    if street in EAST_WEST_STREETS:
        return _lon_lat(along, (EAST_WEST_STREETS.index(street) + 1) / (len(EAST_WEST_STREETS) + 1))
    return _lon_lat((NORTH_SOUTH_STREETS.index(street) + 1) / (len(NORTH_SOUTH_STREETS) + 1), along)


def gazetteer_rows() -> Iterator[tuple[int, dict]]:
    """Rows for `addresses_import`: (line number, {number, street, longitude, latitude, postcode})."""
    line = 0
    for street in EAST_WEST_STREETS + NORTH_SOUTH_STREETS:
        for number in house_numbers(street):
            line += 1
            lon, lat = address_position(number, street)
            yield (
                line,
                {"number": number, "street": street, "longitude": lon, "latitude": lat, "postcode": POSTCODE},
            )


def _full_address(number: int, street: str) -> str:
    return f"{number} {street}, Riverton {POSTCODE}"


# --- Organisations, their sites and designated contacts.


@dataclass(frozen=True)
class OrgSpec:
    key: str
    kind: str
    name: str
    description: str
    address: tuple[int, str]
    public_phone: str = ""
    public_email: str = ""
    website: str = ""
    sites: tuple[tuple[str, str, int, str], ...] = ()  # name, property type, number, street
    # name, title, phone, email, 24/7
    contacts: tuple[tuple[str, str, str, str, bool], ...] = ()


ORGANISATIONS = [
    OrgSpec(
        "agency",
        OrganisationKind.AGENCY,
        AGENCY_NAME,
        "The city's police department: patrol, investigations and community policing for Riverton.",
        (500, "Elm St"),
        "555-0100",
        "info@police.riverton.example",
        "https://police.riverton.example",
        sites=(("Riverton Police Headquarters", PropertyType.OFFICE, 500, "Elm St"),),
        contacts=(
            (
                "Watch Commander",
                "24-hour watch commander desk",
                "555-0101",
                "watch@police.riverton.example",
                True,
            ),
            (
                "Lt. Karen Sorensen",
                "Partnerships coordinator",
                "555-0102",
                "partnerships@police.riverton.example",
                False,
            ),
            (
                "Sgt. Luis Ramos",
                "Real-Time Crime Center supervisor",
                "555-0103",
                "rtcc@police.riverton.example",
                False,
            ),
        ),
    ),
    OrgSpec(
        "apartments",
        OrganisationKind.BUSINESS,
        "Riverbend Property Management",
        "Manages rental housing in Old Mill; cameras at entrances, garages and mail rooms.",
        (220, "Maple Ave"),
        "555-0110",
        "office@riverbend.example",
        "https://riverbend.example",
        sites=(
            ("Riverbend Commons Apartments", PropertyType.MULTIFAMILY, 220, "Maple Ave"),
            ("Millrace Lofts", PropertyType.MULTIFAMILY, 340, "2nd St"),
        ),
        contacts=(
            (
                "Riverbend after-hours line",
                "Maintenance and security, 24/7",
                "555-0111",
                "afterhours@riverbend.example",
                True,
            ),
            ("Nadia Haddad", "Property manager", "555-0112", "nadia.haddad@riverbend.example", False),
            ("Tom Becker", "Regional director", "555-0113", "tom.becker@riverbend.example", False),
        ),
    ),
    OrgSpec(
        "retail",
        OrganisationKind.BUSINESS,
        "Northgate Shopping Center",
        "Forty shops, a grocery store and two parking decks on the north side.",
        (720, "Walnut St"),
        "555-0120",
        "management@northgate-center.example",
        sites=(("Northgate Shopping Center", PropertyType.RETAIL_CENTER, 720, "Walnut St"),),
        contacts=(
            (
                "Northgate security desk",
                "Mall security, 24/7",
                "555-0121",
                "security@northgate-center.example",
                True,
            ),
            ("Gloria Mendes", "General manager", "555-0122", "gloria.mendes@northgate-center.example", False),
        ),
    ),
    OrgSpec(
        "dealership",
        OrganisationKind.BUSINESS,
        "Riverton Motors",
        "New and used car dealership with a fenced overnight lot.",
        (1160, "Cedar St"),
        "555-0125",
        "sales@rivertonmotors.example",
        sites=(("Riverton Motors showroom and lot", PropertyType.DEALERSHIP, 1160, "Cedar St"),),
        contacts=(
            (
                "Riverton Motors lot monitoring",
                "Overnight lot watch, 24/7",
                "555-0126",
                "lotwatch@rivertonmotors.example",
                True,
            ),
            ("Derek Olsen", "Dealer principal", "555-0127", "derek.olsen@rivertonmotors.example", False),
        ),
    ),
    OrgSpec(
        "construction",
        OrganisationKind.BUSINESS,
        "Foundry Builders",
        "General contractor redeveloping the old foundry yards.",
        (140, "Pine St"),
        "555-0130",
        "office@foundrybuilders.example",
        sites=(("Foundry Yards redevelopment", PropertyType.CONSTRUCTION_SITE, 180, "Pine St"),),
        contacts=(
            (
                "Foundry Builders site security",
                "Site security, 24/7",
                "555-0131",
                "security@foundrybuilders.example",
                True,
            ),
            (
                "Ana Kowalski",
                "Site superintendent",
                "555-0132",
                "ana.kowalski@foundrybuilders.example",
                False,
            ),
        ),
    ),
    OrgSpec(
        "logistics",
        OrganisationKind.BUSINESS,
        "Lakeview Logistics",
        "Regional distribution warehouse with round-the-clock loading docks.",
        (1220, "Birch Ave"),
        "555-0135",
        "dispatch@lakeviewlogistics.example",
        sites=(("Lakeview Distribution Center", PropertyType.LOGISTICS, 1220, "Birch Ave"),),
        contacts=(
            (
                "Lakeview dock supervisor",
                "Dock operations, 24/7",
                "555-0136",
                "docks@lakeviewlogistics.example",
                True,
            ),
            (
                "Sam Whitfield",
                "Loss prevention manager",
                "555-0137",
                "sam.whitfield@lakeviewlogistics.example",
                False,
            ),
        ),
    ),
    OrgSpec(
        "security",
        OrganisationKind.SECURITY_COMPANY,
        "Sentinel Monitoring",
        "Alarm and video monitoring centre for homes and businesses across Riverton.",
        (640, "Pine St"),
        "555-0140",
        "ops@sentinel-monitoring.example",
        "https://sentinel-monitoring.example",
        sites=(("Sentinel monitoring centre", PropertyType.OFFICE, 640, "Pine St"),),
        contacts=(
            (
                "Sentinel operations centre",
                "Monitoring centre, 24/7",
                "555-0141",
                "ops@sentinel-monitoring.example",
                True,
            ),
            ("Rachel Stone", "Shift lead", "555-0143", "rachel.stone@sentinel-monitoring.example", False),
            (
                "Victor Hale",
                "Director of operations",
                "555-0144",
                "victor.hale@sentinel-monitoring.example",
                False,
            ),
        ),
    ),
    OrgSpec(
        "residents",
        OrganisationKind.COMMUNITY_GROUP,
        "Riverside Residents Association",
        "Neighbors in Riverside meeting monthly about safety, streets and parks.",
        (560, "Oak St"),
        public_email="hello@riversideresidents.example",
        contacts=(
            ("Grace Okonkwo", "Chair", "555-0150", "chair@riversideresidents.example", False),
            ("Ben Alvarez", "Safety committee", "555-0151", "safety@riversideresidents.example", False),
        ),
    ),
    OrgSpec(
        "watch",
        OrganisationKind.NEIGHBORHOOD_WATCH,
        "Cedar Park Neighborhood Watch",
        "Block captains in Cedar Park who look out for each other and report problems.",
        (260, "Chestnut St"),
        public_email="captains@cedarparkwatch.example",
        contacts=(("Helen Marsh", "Coordinator", "555-0155", "helen.marsh@cedarparkwatch.example", False),),
    ),
    OrgSpec(
        "crisis",
        OrganisationKind.SOCIAL_SERVICE,
        "Riverton Crisis Response",
        "Mental-health professionals who respond with, or instead of, police to people in crisis.",
        (420, "Birch Ave"),
        "555-0160",
        "team@rivertoncrisis.example",
        contacts=(
            ("Crisis line", "Mobile crisis team, 24/7", "555-0161", "team@rivertoncrisis.example", True),
            (
                "Dr. Imani Wallace",
                "Clinical director",
                "555-0162",
                "imani.wallace@rivertoncrisis.example",
                False,
            ),
        ),
    ),
    OrgSpec(
        "school",
        OrganisationKind.SCHOOL,
        "Riverton High School",
        "The city's public high school, about 1,400 students.",
        (300, "6th St"),
        "555-0170",
        "office@rivertonhigh.example",
        sites=(("Riverton High School campus", PropertyType.SCHOOL, 300, "6th St"),),
        contacts=(
            ("Principal Mark Ellison", "Principal", "555-0171", "principal@rivertonhigh.example", False),
            ("Joan Pruitt", "Facilities and safety", "555-0172", "facilities@rivertonhigh.example", False),
        ),
    ),
    OrgSpec(
        "commission",
        OrganisationKind.OVERSIGHT_BODY,
        "Riverton Community Police Commission",
        "Civilian commission that reviews police agreements, data use and the audit trail.",
        (540, "Elm St"),
        "555-0180",
        "commission@riverton.example",
        contacts=(("Commission office", "Staff office", "555-0181", "commission@riverton.example", False),),
    ),
]

UNITS = [  # code, name, phone
    ("patrol", "Patrol", "555-0104"),
    ("investigations", "Investigations", "555-0105"),
    ("cyber", "Cyber Unit", "555-0106"),
    ("community-affairs", "Community Affairs", "555-0107"),
    ("rtcc", "Real-Time Crime Center", "555-0103"),
    ("school-resource", "School Resource Unit", "555-0108"),
]


# --- People: one per role, plus the officers who cover the neighborhoods.


@dataclass(frozen=True)
class PersonSpec:
    local_part: str
    display_name: str
    role: str
    organisation: str = ""  # an OrgSpec key; empty for the resident
    unit: str = ""
    title: str = ""
    badge: str = ""

    @property
    def email(self) -> str:
        return f"{self.local_part}@{EMAIL_DOMAIN}"


PEOPLE = [
    PersonSpec("resident", "Jordan Lee", Role.RESIDENT),
    PersonSpec("partner.member", "Alex Kim", Role.PARTNER_MEMBER, "apartments", title="Leasing manager"),
    PersonSpec("partner.admin", "Morgan Hale", Role.PARTNER_ADMIN, "apartments", title="Security director"),
    PersonSpec("operator", "Casey Tran", Role.SECURITY_OPERATOR, "security", title="Monitoring operator"),
    PersonSpec("officer", "Dana Brooks", Role.OFFICER, "agency", "patrol", "Officer", "1142"),
    PersonSpec(
        "liaison",
        "Tomás Reyes",
        Role.LIAISON,
        "agency",
        "community-affairs",
        "Community liaison officer",
        "1207",
    ),
    PersonSpec("analyst", "Avery Chen", Role.ANALYST, "agency", "rtcc", "Crime analyst"),
    PersonSpec("supervisor", "Pat Walsh", Role.SUPERVISOR, "agency", "patrol", "Sergeant", "0988"),
    PersonSpec("admin", "Jamie Ortiz", Role.AGENCY_ADMIN, "agency", title="Systems administrator"),
    PersonSpec("oversight", "Robin Ellis", Role.OVERSIGHT, "commission", title="Commissioner"),
    PersonSpec("officer.garcia", "Maria Garcia", Role.OFFICER, "agency", "patrol", "Officer", "1153"),
    PersonSpec("officer.nguyen", "Minh Nguyen", Role.OFFICER, "agency", "patrol", "Officer", "1168"),
    PersonSpec("officer.okafor", "Chidi Okafor", Role.OFFICER, "agency", "patrol", "Officer", "1174"),
    PersonSpec("officer.patel", "Priya Patel", Role.OFFICER, "agency", "patrol", "Officer", "1181"),
    PersonSpec("officer.lindqvist", "Erik Lindqvist", Role.OFFICER, "agency", "patrol", "Officer", "1196"),
]

DAY_SHIFT = "Days, Mon-Fri 07:00-15:00"
EVENING_SHIFT = "Evenings, Tue-Sat 15:00-23:00"
WEEKEND_SHIFT = "Days, Fri-Mon 07:00-17:00"

# Neighborhood → its neighborhood officer (local part) and shift; phone and email follow the order.
NEIGHBORHOOD_OFFICERS = {
    "Old Mill": ("officer", DAY_SHIFT),
    "Riverside": ("officer.garcia", DAY_SHIFT),
    "Harbor Flats": ("officer.nguyen", EVENING_SHIFT),
    "Foundry District": ("officer.okafor", DAY_SHIFT),
    "Market Square": ("officer.patel", EVENING_SHIFT),
    "Lakeview": ("officer.lindqvist", WEEKEND_SHIFT),
    "Cedar Park": ("officer.garcia", DAY_SHIFT),
    "Northgate": ("officer.nguyen", EVENING_SHIFT),
    "Elm Heights": ("officer.okafor", DAY_SHIFT),
}
BEAT_OFFICERS = {  # beat code → officer, shift
    "S1": ("officer", DAY_SHIFT),
    "S2": ("officer.garcia", DAY_SHIFT),
    "S3": ("officer.nguyen", EVENING_SHIFT),
    "N1": ("officer.okafor", DAY_SHIFT),
    "N2": ("officer.patel", EVENING_SHIFT),
    "N3": ("officer.lindqvist", WEEKEND_SHIFT),
}
LIAISON_SECTOR = "S"


# --- Loading.


class DemoCityError(Exception):
    """The demo city cannot be loaded into this database as it is."""


@dataclass
class DemoCity:
    loaded: bool  # False when Riverton was already there and nothing was written
    counts: dict[str, int] = field(default_factory=dict)
    sign_ins: list[tuple[str, str]] = field(default_factory=list)  # (email, role)


def demo_city_load() -> DemoCity:
    """Load Riverton in one transaction, or do nothing if its agency already exists."""
    with transaction.atomic():
        if Organisation.objects.filter(name=AGENCY_NAME).exists():
            return DemoCity(loaded=False)
        taken = sorted(
            User.objects.filter(email__in=[p.email for p in PEOPLE]).values_list("email", flat=True)
        )
        if taken:
            raise DemoCityError(f"demo accounts already exist without the demo agency: {', '.join(taken)}")
        audit_before = AuditEntry.objects.count()
        return demo_alerts_load(demo_crime_load(
            demo_incidents_load(demo_cameras_load(demo_tips_load(demo_reports_load(_load(audit_before)))))))


def _load(audit_before: int) -> DemoCity:
    today = timezone.localdate()
    a_year_ago, in_a_year = today - timedelta(days=365), today + timedelta(days=365)

    orgs = {spec.key: _organisation(spec) for spec in ORGANISATIONS}
    agency = orgs["agency"]
    units = {
        code: Unit.objects.create(agency=agency, code=code, name=name, phone=phone)
        for code, name, phone in UNITS
    }

    users = {}
    for person in PEOPLE:
        user = User.objects.create_user(
            email=person.email, password=DEMO_PASSWORD, display_name=person.display_name
        )
        if person.organisation:
            Membership.objects.create(
                user=user,
                organisation=orgs[person.organisation],
                unit=units.get(person.unit),
                role=person.role,
                title=person.title,
                badge_number=person.badge,
            )
            TOTPDevice.objects.create(
                user=user, name="Demo authenticator", confirmed=True, key=DEMO_TOTP_KEY_HEX
            )
        users[person.local_part] = user.pk
    # actor_for_user caches on the user object: read everyone again now that memberships exist.
    people = {local: User.objects.get(pk=pk) for local, pk in users.items()}
    admin = actor_for_user(people["admin"])

    areas = _import_areas(agency, admin)
    count, problems = addresses_import(rows=gazetteer_rows())
    if problems:
        raise DemoCityError(f"gazetteer rows refused: {problems[:3]}")

    def assign(area: Area, local: str, duty: str, **contact) -> None:
        officer_assign(
            actor=admin, area=area, officer=people[local], duty=duty, starts_on=a_year_ago, **contact
        )

    for n, (name, (local, shift)) in enumerate(NEIGHBORHOOD_OFFICERS.items(), start=1):
        assign(
            areas[AreaKind.NEIGHBORHOOD, _slug(name)],
            local,
            OfficerAssignment.Duty.NEIGHBORHOOD_OFFICER,
            public_phone=f"555-01{90 + n}",
            public_email=f"nco{n}@{EMAIL_DOMAIN}",
            shift=shift,
        )
    for beat, (local, shift) in BEAT_OFFICERS.items():
        assign(
            areas[AreaKind.BEAT, beat],
            local,
            OfficerAssignment.Duty.BEAT_OFFICER,
            public_phone="555-0104",
            public_email=f"beat.{beat.lower()}@{EMAIL_DOMAIN}",
            shift=shift,
        )
    assign(
        areas[AreaKind.SECTOR, LIAISON_SECTOR],
        "liaison",
        OfficerAssignment.Duty.LIAISON,
        public_phone="555-0107",
        public_email=f"community@{EMAIL_DOMAIN}",
        shift="Mon-Fri 09:00-17:00",
    )
    for sector, *_ in SECTORS:
        assign(
            areas[AreaKind.SECTOR, sector],
            "supervisor",
            OfficerAssignment.Duty.SUPERVISOR,
            public_phone="555-0104",
            shift=DAY_SHIFT,
        )

    _create_agreements(admin, orgs, today, a_year_ago, in_a_year)

    counts = {
        "organisations": len(orgs),
        "units": len(units),
        "sites": Site.objects.filter(organisation__in=orgs.values()).count(),
        "contacts": Contact.objects.filter(organisation__in=orgs.values()).count(),
        "people": len(people),
        "memberships": Membership.objects.filter(user__in=people.values()).count(),
        "authenticator devices": TOTPDevice.objects.filter(user__in=people.values()).count(),
        **{
            f"areas: {label.lower()}": Area.objects.filter(agency=agency, kind=kind).count()
            for kind, label in AreaKind.choices
        },
        "addresses": count,
        "officer assignments": OfficerAssignment.objects.filter(area__agency=agency).count(),
        "agreements": Agreement.objects.filter(parties=agency).count(),
        "agreement grants": AgreementGrant.objects.filter(agreement__parties=agency).count(),
    }
    audit_record(
        action="demo.city_loaded",
        actor_label="manage.py load_demo_city",
        organisation=agency,
        details={"city": "Riverton", **counts},
    )
    counts["audit entries"] = AuditEntry.objects.count() - audit_before
    return DemoCity(loaded=True, counts=counts, sign_ins=[(p.email, str(p.role)) for p in PEOPLE])


def _organisation(spec: OrgSpec) -> Organisation:
    organisation = Organisation.objects.create(
        kind=spec.kind,
        name=spec.name,
        description=spec.description,
        address=_full_address(*spec.address),
        public_phone=spec.public_phone,
        public_email=spec.public_email,
        website=spec.website,
    )
    for name, property_type, number, street in spec.sites:
        lon, lat = address_position(number, street)
        Site.objects.create(
            organisation=organisation,
            name=name,
            property_type=property_type,
            address=_full_address(number, street),
            longitude=lon,
            latitude=lat,
        )
    for order, (name, title, phone, email, around_the_clock) in enumerate(spec.contacts, start=1):
        Contact.objects.create(
            organisation=organisation,
            name=name,
            title=title,
            phone=phone,
            email=email,
            is_24_7=around_the_clock,
            escalation_order=order,
        )
    return organisation


def _import_areas(agency: Organisation, admin) -> dict[tuple[str, str], Area]:
    sources = [
        (AreaKind.JURISDICTION, jurisdiction_geojson()),
        (AreaKind.SECTOR, sectors_geojson()),
        (AreaKind.BEAT, beats_geojson()),
        (AreaKind.NEIGHBORHOOD, neighborhoods_geojson()),
    ]
    for kind, source in sources:
        report = areas_import_geojson(source=source, agency=agency, kind=kind, actor=admin)
        if report.problems or report.created != len(source["features"]):
            raise DemoCityError(f"{kind} import: {[str(p) for p in report.problems]}")
    areas = {(a.kind, a.code): a for a in Area.objects.filter(agency=agency)}
    # The import knows nothing of nesting; record it (the outlines themselves are unchanged).
    jurisdiction = areas[AreaKind.JURISDICTION, JURISDICTION_CODE]
    Area.objects.filter(agency=agency, kind__in=[AreaKind.SECTOR, AreaKind.NEIGHBORHOOD]).update(
        parent=jurisdiction
    )
    for beat, sector in beat_codes():
        Area.objects.filter(pk=areas[AreaKind.BEAT, beat].pk).update(parent=areas[AreaKind.SECTOR, sector])
    return areas


def _create_agreements(admin, orgs: dict[str, Organisation], today: date, a_year_ago: date, in_a_year: date):
    agency = orgs["agency"]

    def both_ways(scope: str, other: Organisation) -> list[GrantSpec]:
        return [GrantSpec(scope, agency, other), GrantSpec(scope, other, agency)]

    apartments, security, crisis = orgs["apartments"], orgs["security"], orgs["crisis"]
    retail, school = orgs["retail"], orgs["school"]
    agreement_create(
        actor=admin,
        title="Riverton SafeCam Partnership",
        purpose="Riverbend registers its cameras with the department, shares recorded footage on request "
        "for a stated case and may grant time-boxed live views; both sides share their designated contacts.",
        parties=[
            (agency, "Requests footage only for a case and keeps it under its retention rules"),
            (apartments, "Keeps its camera list current and answers footage requests"),
        ],
        grants=[
            GrantSpec(Scope.FOOTAGE_ON_REQUEST, apartments, agency),
            GrantSpec(Scope.CAMERA_LOCATIONS, apartments, agency),
            GrantSpec(Scope.LIVE_CAMERA_ACCESS, apartments, agency),
            *both_ways(Scope.CONTACT_SHARING, apartments),
        ],
        effective_from=a_year_ago,
        expires_on=in_a_year,
        signed=True,
    )
    agreement_create(
        actor=admin,
        title="Sentinel Alarm & Live Incident Agreement",
        purpose="Sentinel passes verified alarm events and incident details to the department and opens live "
        "camera views during an incident in progress.",
        parties=[
            (agency, "Dispatches on verified alarms and uses live views only during an incident"),
            (security, "Verifies alarms before passing them on and keeps live access logged"),
        ],
        grants=[
            GrantSpec(Scope.ALARM_EVENTS, security, agency),
            GrantSpec(Scope.INCIDENT_DATA, security, agency),
            GrantSpec(Scope.LIVE_CAMERA_ACCESS, security, agency),
            *both_ways(Scope.CONTACT_SHARING, security),
        ],
        effective_from=a_year_ago,
        expires_on=in_a_year,
        signed=True,
    )
    agreement_create(
        actor=admin,
        title="Crisis Co-Response MOU",
        purpose="The department refers tips about people in mental-health crisis to the co-responder team.",
        parties=[
            (agency, "Refers crisis-related tips and calls"),
            (crisis, "Follows up on referrals with trained clinicians"),
        ],
        grants=[GrantSpec(Scope.TIP_REFERRALS, agency, crisis), *both_ways(Scope.CONTACT_SHARING, crisis)],
        effective_from=a_year_ago,
        expires_on=in_a_year,
        signed=True,
    )
    agreement_create(
        actor=admin,
        title="Retail Center Camera Program (2023)",
        purpose="Footage from the shopping center's cameras on request. Expired and not renewed: "
        "no footage may flow under it.",
        parties=[(agency, "Requests footage for a stated case"), (retail, "Answers footage requests")],
        grants=[GrantSpec(Scope.FOOTAGE_ON_REQUEST, retail, agency)],
        effective_from=date(2023, 1, 1),
        expires_on=date(2024, 12, 31),
        signed=True,
    )
    agreement_create(
        actor=admin,
        title="School Safety Camera MOU (draft)",
        purpose="Under discussion with the school board: camera locations and contacts for emergencies.",
        parties=[
            (agency, "Uses camera locations only to plan an emergency response"),
            (school, "Shares its camera map and emergency contacts"),
        ],
        grants=[GrantSpec(Scope.CAMERA_LOCATIONS, school, agency), *both_ways(Scope.CONTACT_SHARING, school)],
        effective_from=today,
        expires_on=in_a_year,
        signed=False,
    )


# --- What the command prints, and the demo authenticator's current code.


def demo_city_summary(city: DemoCity) -> list[str]:
    width = max(len(name) for name in city.counts)
    lines = ["Riverton demo city loaded.", ""]
    lines += [f"  {name:<{width}}  {number:>5}" for name, number in city.counts.items()]
    email_width = max(len(email) for email, _ in city.sign_ins)
    role_width = max(len(role) for _, role in city.sign_ins)
    lines += ["", "Demo sign-ins:", f"  {'email':<{email_width}}  {'role':<{role_width}}  password"]
    lines += [
        f"  {email:<{email_width}}  {role:<{role_width}}  {DEMO_PASSWORD}" for email, role in city.sign_ins
    ]
    lines += [
        "",
        "Every account except resident@ also asks for a code from an authenticator app.",
        f"Add this secret to one (time-based, 6 digits, 30 s):  {DEMO_TOTP_SECRET}",
        "or print the current code with:  .venv/bin/python manage.py demo_code",
        "",
        f"Sentinel Monitoring's alarm-center API key (scope alarms:write):  {DEMO_ALARM_KEY}",
    ]
    return lines


def demo_totp_code() -> tuple[str, int]:
    """The demo secret's current code and how many seconds it stays current."""
    key = bytes.fromhex(DEMO_TOTP_KEY_HEX)
    while True:
        now = int(time.time())
        code = totp(key, step=TOTP_STEP)
        if int(time.time()) // TOTP_STEP == now // TOTP_STEP:  # not computed across a step boundary
            return f"{code:06d}", TOTP_STEP - now % TOTP_STEP
