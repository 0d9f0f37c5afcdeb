import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.places.models import Area
from safecommons.places.services import areas_import_geojson
from safecommons.places.tests.factories import square

pytestmark = pytest.mark.django_db


def feature(name, geometry, **properties):
    return {"type": "Feature", "properties": {"name": name, **properties}, "geometry": geometry}


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def test_bad_features_are_reported_by_position_and_reason_and_good_ones_imported(people, agency):
    source = collection(
        feature("Old Mill", square(-93.30, 44.90), code="old-mill"),
        feature("Bowtie", BOWTIE),
        feature("Point", {"type": "Point", "coordinates": [-93.3, 44.9]}),
        {"type": "Feature", "properties": {}, "geometry": square(-93.28, 44.90)},
        feature("Projected", square(480000, 4980000, 100)),
        feature("Broken", {"type": "Polygon", "coordinates": [[[0, 0], [1]]]}),
        feature("Riverside", square(-93.29, 44.90)),
        feature("Old Mill again", square(-93.27, 44.90), code="old-mill"),
    )
    report = areas_import_geojson(source=source, agency=agency, kind="neighborhood",
                                  actor=actor_for_user(people[Role.AGENCY_ADMIN]))
    assert report.total == 8 and report.created == 2
    problems = {p.feature: p.reason for p in report.problems}
    assert set(problems) == {2, 3, 4, 5, 6, 8}
    assert "Self-intersection" in problems[2]
    assert "expected Polygon" in problems[3]
    assert "'name'" in problems[4]
    assert "outside longitude" in problems[5]
    assert "malformed" in problems[6]
    assert "repeats feature 1" in problems[8]
    assert set(Area.objects.values_list("name", flat=True)) == {"Old Mill", "Riverside"}
    assert AuditEntry.objects.get(action="areas.imported").details["rejected"] == 6


def test_a_file_that_is_not_geojson_is_reported_not_crashed_on(people, agency):
    admin = actor_for_user(people[Role.AGENCY_ADMIN])
    report = areas_import_geojson(source=b"{not json", agency=agency, kind="beat", actor=admin)
    assert report.problems[0].feature == 0 and "not valid JSON" in report.problems[0].reason
    report = areas_import_geojson(source=json.dumps([1, 2]), agency=agency, kind="beat", actor=admin)
    assert "FeatureCollection" in report.problems[0].reason


def test_reimporting_updates_areas_by_code(people, agency):
    admin = actor_for_user(people[Role.AGENCY_ADMIN])
    areas_import_geojson(source=collection(feature("Beat 1", square(-93.3, 44.9), code="B1")),
                         agency=agency, kind="beat", actor=admin)
    report = areas_import_geojson(source=collection(feature("Beat One", square(-93.3, 44.9, 0.02), code="B1")),
                                  agency=agency, kind="beat", actor=admin)
    assert (report.created, report.updated) == (0, 1)
    area = Area.objects.get()
    assert area.name == "Beat One" and area.max_lon == pytest.approx(-93.28)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.PARTNER_ADMIN, Role.OVERSIGHT, Role.RESIDENT])
def test_only_agency_admins_and_analysts_import_areas(people, agency, role):
    with pytest.raises(PermissionDenied):
        areas_import_geojson(source=collection(), agency=agency, kind="beat", actor=actor_for_user(people[role]))


def test_the_command_imports_a_file_and_lists_rejected_features(people, agency, tmp_path, capsys):
    path = tmp_path / "beats.geojson"
    path.write_text(json.dumps(collection(feature("Beat 1", square(-93.3, 44.9)), feature("Bad", BOWTIE))))
    call_command("import_areas", str(path), agency=agency.slug, kind="beat",
                 actor=people[Role.AGENCY_ADMIN].email)
    output = capsys.readouterr()
    assert "1 created" in output.out
    assert "feature 2 (Bad): invalid polygon" in output.err
    with pytest.raises(CommandError):
        call_command("import_areas", str(tmp_path / "missing.geojson"), agency=agency.slug, kind="beat",
                     actor=people[Role.AGENCY_ADMIN].email)


def test_an_oversized_upload_is_refused_while_it_streams_in(client_for, people, agency, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safecommons.places.models import AreaImport

    big = SimpleUploadedFile("huge.geojson", b" " * 50_000, content_type="application/geo+json")
    response = client_for(people[Role.AGENCY_ADMIN]).post(
        "/api/places/imports", {"agency": agency.slug, "kind": "beat", "file": big})
    assert response.status_code == 413
    assert "10000" not in response.json()["detail"] and "limit" in response.json()["detail"]
    assert not AreaImport.objects.exists()


def test_an_import_file_over_the_area_limit_is_refused_with_a_reason(people, agency, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safecommons.core.errors import Refused
    from safecommons.places.services import area_import_queue

    settings.AREA_IMPORT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.geojson", b" " * (1024 * 1024 + 1))
    with pytest.raises(Refused, match="larger than 1 MB"):
        area_import_queue(actor=actor_for_user(people[Role.AGENCY_ADMIN]), agency=agency, kind="beat",
                          uploaded_file=big)
