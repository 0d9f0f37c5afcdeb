"""The camera registry: owners register, edit, pause and withdraw; companies import CSV; the public map
counts cameras per cell and never shows one."""

import pytest

from safecommons.accounts.tests.factories import MembershipFactory, UserFactory
from safecommons.cameras import selectors, services
from safecommons.cameras.models import Camera
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import Scope
from safecommons.partners.tests.factories import agreement_between

pytestmark = pytest.mark.django_db

FRONT_DOOR = {"name": "Front door", "latitude": 44.9801, "longitude": -93.2702, "bearing_deg": 90, "fov_deg": 100,
              "range_m": 30, "retention_days": 14}
CSV_HEADER = ("external_ref,name,latitude,longitude,bearing_deg,fov_deg,range_m,placement,retention_days,"
              "live_share_capable,share_exact_location,preferred_contact\n")


def test_a_resident_registers_edits_pauses_and_withdraws_their_camera(people):
    resident = actor_for_user(people[Role.RESIDENT])
    camera = services.camera_register(actor=resident, **FRONT_DOOR)
    assert camera.owner_user == people[Role.RESIDENT] and camera.status == Camera.Status.ACTIVE
    assert camera.coverage_cell and not camera.share_exact_location  # exact position not shared unless chosen
    services.camera_update(actor=resident, camera=camera, bearing_deg=450, share_exact_location=True)
    camera.refresh_from_db()
    assert (camera.bearing_deg, camera.share_exact_location) == (90, True)
    services.camera_status_set(actor=resident, camera=camera, status=Camera.Status.PAUSED)
    services.camera_status_set(actor=resident, camera=camera, status=Camera.Status.WITHDRAWN)
    with pytest.raises(Refused, match="withdrawn"):
        services.camera_status_set(actor=resident, camera=camera, status=Camera.Status.ACTIVE)
    assert list(selectors.cameras_managed(actor=resident)) == []


@pytest.mark.parametrize("field, value, reason", [
    ("fov_deg", 0, "between 1 and 360"),
    ("range_m", 5000, "between 1 and 1000"),
    ("latitude", "north", "must be a number"),
    ("name", " ", "Give the camera a name"),
    ("retention_days", "", "is missing"),
])
def test_bad_fields_are_refused_with_the_reason(people, field, value, reason):
    with pytest.raises(Refused, match=reason):
        services.camera_register(actor=actor_for_user(people[Role.RESIDENT]), **{**FRONT_DOOR, field: value})
    assert not Camera.objects.exists()


def test_only_owners_and_their_organisations_manage_a_camera(people, partner):
    camera = services.camera_register(actor=actor_for_user(people[Role.PARTNER_MEMBER]), organisation=partner,
                                      **FRONT_DOOR)
    services.camera_update(actor=actor_for_user(people[Role.PARTNER_ADMIN]), camera=camera, name="Lobby")
    for outsider in (Role.RESIDENT, Role.OFFICER, Role.SECURITY_OPERATOR):
        with pytest.raises(Exception, match="camera.manage"):
            services.camera_update(actor=actor_for_user(people[outsider]), camera=camera, name="Mine now")
    with pytest.raises(Exception, match="camera.register"):
        services.camera_register(actor=actor_for_user(people[Role.OFFICER]), organisation=partner, **FRONT_DOOR)


def test_a_security_company_registers_for_a_client_only_under_an_agreement(people, partner, security_company):
    operator = actor_for_user(people[Role.SECURITY_OPERATOR])
    with pytest.raises(Exception, match="camera.register"):
        services.camera_register(actor=operator, organisation=partner, managed_by=security_company, **FRONT_DOOR)
    agreement_between(security_company, partner, Scope.CONTACT_SHARING, title="Monitoring contract")
    operator = actor_for_user(MembershipFactory(organisation=security_company, role=Role.SECURITY_OPERATOR).user)
    camera = services.camera_register(actor=operator, organisation=partner, managed_by=security_company,
                                      **FRONT_DOOR)
    assert (camera.owner_organisation, camera.managed_by) == (partner, security_company)
    assert list(selectors.cameras_managed(actor=operator)) == [camera]


def test_a_csv_import_reports_bad_rows_by_line_and_updates_by_reference(people, partner):
    admin = actor_for_user(people[Role.PARTNER_ADMIN])
    text = (CSV_HEADER
            + "A-1,Gate,44.98,-93.27,180,90,40,outdoor,30,no,yes,front desk\n"
            + "A-2,Dock,44.981,-93.271,0,360,60,outdoor,7,yes,no,\n"
            + "A-3,Roof,44.982,not-a-number,0,90,60,outdoor,7,no,no,\n"
            + "A-4,Hall,44.983,-93.272,10,90,60,sideways,7,no,no,\n"
            + "A-1,Gate again,44.98,-93.27,180,90,40,outdoor,30,no,yes,\n")
    report = services.cameras_import_csv(actor=admin, organisation=partner, text=text)
    assert (report.created, report.updated) == (2, 0)
    assert [line for line, _reason in report.rejected] == [4, 5, 6]
    assert "longitude must be a number" in report.rejected[0][1] and "outdoor or indoor" in report.rejected[1][1]
    again = services.cameras_import_csv(actor=admin, organisation=partner,
                                        text=CSV_HEADER + "A-1,Main gate,44.98,-93.27,170,90,40,outdoor,30,no,yes,\n")
    assert (again.created, again.updated) == (0, 1)
    assert Camera.objects.get(external_ref="A-1").name == "Main gate"


def test_a_csv_without_the_columns_is_refused_whole(people, partner):
    with pytest.raises(Refused, match="missing: name"):
        services.cameras_import_csv(actor=actor_for_user(people[Role.PARTNER_ADMIN]), organisation=partner,
                                    text="ref,lat,lon\n1,2,3\n")


def test_the_public_coverage_map_counts_per_cell_and_hides_sparse_cells(people, partner):
    admin = actor_for_user(people[Role.PARTNER_ADMIN])
    rows = "".join(f"B-{i},Cam {i},44.9800{i},-93.2700{i},0,90,40,outdoor,7,no,no,\n" for i in range(2))
    rows += "C-1,Lonely,44.90,-93.10,0,90,40,outdoor,7,no,no,\n"
    services.cameras_import_csv(actor=admin, organisation=partner, text=CSV_HEADER + rows)
    assert selectors.coverage_density() == []  # two cameras of one owner: never shown
    for n, neighbour in enumerate((people[Role.RESIDENT], UserFactory())):  # two neighbours join in
        services.camera_register(actor=actor_for_user(neighbour), **{**FRONT_DOOR, "latitude": 44.98003 + n * 1e-5,
                                                                     "longitude": -93.27003})
    cells = selectors.coverage_density()
    assert [c.count for c in cells] == [4]
    assert len(cells[0].boundary) == 6
    lonely = Camera.objects.get(external_ref="C-1")
    assert lonely.coverage_cell not in {c.cell for c in cells}
    Camera.objects.filter(external_ref__startswith="B-").update(status=Camera.Status.PAUSED)
    assert selectors.coverage_density() == []
