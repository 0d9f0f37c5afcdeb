"""The import pages and API: analysts and agency admins of the agency, nobody else; uploads run in the
background and their run page shows the counts, the unmapped offenses and the rejected rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.roles import Role
from safecommons.crimedata.mapping import mapping_load
from safecommons.crimedata.models import CrimeRecord, ImportRun
from safecommons.crimedata.services.imports import crime_import_file, crime_import_process
from safecommons.crimedata.tests.import_files import BOSTON_HEADER, boston_row, csv_write
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
IMPORTERS = {Role.ANALYST, Role.AGENCY_ADMIN}
EVERYONE = [*Role, "anonymous"]
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def export_bytes(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=BOSTON_HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


GOOD_AND_BAD = [boston_row(number="A1", code="619", occurred="2026-04-01 10:00:00"),
                boston_row(number="A2", code="77777", occurred="2026-04-01 11:00:00"),
                boston_row(number="A3", code="619", occurred="not a date")]


@pytest.fixture
def run(agency, tmp_path):
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, GOOD_AND_BAD)
    return crime_import_file(actor=None, agency=agency, path=path, mapping=mapping_load("boston-incidents"))


def client_of(client_for, people, who) -> Client:
    return Client() if who == "anonymous" else client_for(people[who])


def expected(who, path: str, success: int = 200) -> int:
    if who in IMPORTERS:
        return success
    if who == "anonymous":
        return 401 if path.startswith("/api/") else 302
    return 403


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_agencys_analysts_and_admins_open_the_import_pages_and_api(client_for, people, who, run):
    client = client_of(client_for, people, who)
    for path in [reverse("crimedata:import_list"), reverse("crimedata:import_new"),
                 reverse("crimedata:import_run", args=[run.pk]), reverse("crimedata:import_report_csv", args=[run.pk]),
                 "/api/crime/imports", f"/api/crime/imports/{run.pk}", f"/api/crime/imports/{run.pk}/rejections"]:
        response = client.get(path)
        assert response.status_code == expected(who, path), (who, path, response.status_code)


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_agencys_analysts_and_admins_upload_an_export(client_for, people, who, agency, settings):
    settings.TASKS = IMMEDIATE
    client = client_of(client_for, people, who)
    upload = SimpleUploadedFile("export.csv", export_bytes(GOOD_AND_BAD), content_type="text/csv")
    response = client.post(reverse("crimedata:import_new"),
                           {"agency": agency.pk, "mapping": "boston-incidents", "file": upload})
    assert response.status_code == expected(who, "/crime/", 302)
    assert ImportRun.objects.exists() == (who in IMPORTERS)


def test_an_analyst_of_another_agency_sees_neither_the_runs_nor_the_report(client_for, run):
    other = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere PD")
    stranger = client_for(MembershipFactory(organisation=other, role=Role.ANALYST).user)
    assert stranger.get(reverse("crimedata:import_run", args=[run.pk])).status_code == 403
    assert stranger.get(f"/api/crime/imports/{run.pk}/rejections").status_code == 403
    assert stranger.get("/api/crime/imports").json() == []


def test_an_upload_is_imported_in_the_background_and_its_page_shows_the_report(
        client_for, people, agency, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    analyst = client_for(people[Role.ANALYST])
    upload = SimpleUploadedFile("export.csv", export_bytes(GOOD_AND_BAD), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(reverse("crimedata:import_new"),
                                {"agency": agency.pk, "mapping": "boston-incidents", "file": upload})
    run = ImportRun.objects.get()
    assert response.url == reverse("crimedata:import_run", args=[run.pk])
    run.refresh_from_db()
    assert (run.status, run.inserted, run.rejected, run.created_by) == ("done", 2, 1, people[Role.ANALYST])
    assert CrimeRecord.objects.filter(agency=agency).count() == 2

    page = analyst.get(response.url).content.decode()
    assert "77777" in page  # unmapped, listed for the analyst
    assert "not a date" in page and "<td>4</td>" in page  # the bad row, at line 4
    report = analyst.get(reverse("crimedata:import_report_csv", args=[run.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[0] == ["line", "source_id", "reason", "excerpt"] and rows[1][:2] == ["4", "A3-619"]
    api = analyst.get(f"/api/crime/imports/{run.pk}").json()
    assert (api["inserted"], api["rejected"], api["unmapped_offenses"]) == (2, 1, {"77777": 1})
    assert api["processed_bytes"] == api["total_bytes"] > 0
    page = analyst.get(f"/api/crime/imports/{run.pk}/rejections", {"limit": 10}).json()
    assert page["count"] == 1 and page["rejections"][0]["line"] == 4


def test_an_uploaded_mapping_file_is_used_and_a_wrong_one_is_refused_with_its_reason(client_for, people, agency,
                                                                                      settings):
    settings.TASKS = IMMEDIATE
    analyst = client_for(people[Role.ANALYST])
    wrong = SimpleUploadedFile("mine.yaml", b"timezone: Nowhere/City\nsource_id: id\noffense: code\n"
                                            b"occurred: {column: when}\n")
    upload = SimpleUploadedFile("export.csv", export_bytes(GOOD_AND_BAD))
    response = analyst.post(reverse("crimedata:import_new"), {"agency": agency.pk, "mapping": "__uploaded__",
                                                              "file": upload, "mapping_file": wrong})
    assert response.status_code == 400
    assert "IANA" in response.content.decode()
    assert not ImportRun.objects.exists()

    mine = SimpleUploadedFile("mine.yaml", b"timezone: America/New_York\nsource_id: INCIDENT_NUMBER\n"
                                           b"offense: {column: OFFENSE_CODE, codes: {'619': 23H}}\n"
                                           b"occurred: {column: OCCURRED_ON_DATE}\n")
    upload = SimpleUploadedFile("export.csv", export_bytes(GOOD_AND_BAD))
    response = analyst.post(reverse("crimedata:import_new"), {"agency": agency.pk, "mapping": "__uploaded__",
                                                              "file": upload, "mapping_file": mine})
    assert response.status_code == 302
    assert ImportRun.objects.get().mapping_name == "mine"


def test_an_export_over_the_import_limit_is_refused_before_it_is_read(client_for, people, agency, settings):
    settings.CRIME_IMPORT_MAX_BYTES = 100
    analyst = client_for(people[Role.ANALYST])
    upload = SimpleUploadedFile("export.csv", export_bytes(GOOD_AND_BAD))
    response = analyst.post(reverse("crimedata:import_new"),
                            {"agency": agency.pk, "mapping": "boston-incidents", "file": upload})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_an_upload_over_the_servers_limit_is_stopped_while_it_streams_in(client_for, people, agency, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    analyst = client_for(people[Role.ANALYST])
    upload = SimpleUploadedFile("export.csv", b"x" * 5000)
    response = analyst.post(reverse("crimedata:import_new"),
                            {"agency": agency.pk, "mapping": "boston-incidents", "file": upload})
    assert response.status_code == 413
    assert not ImportRun.objects.exists()


def test_the_rejected_rows_csv_quotes_cells_a_spreadsheet_would_run_as_formulas(client_for, people, agency,
                                                                                tmp_path):
    formula = '=HYPERLINK("http://example.invalid/x","open")'
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, [
        boston_row(number=formula, code="619", occurred="not a date")])
    run = crime_import_file(actor=None, agency=agency, path=path, mapping=mapping_load("boston-incidents"))
    report = client_for(people[Role.ANALYST]).get(reverse("crimedata:import_report_csv", args=[run.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[1][0] == "2"
    assert rows[1][1] == "'" + formula + "-619"
    assert rows[1][3].startswith("'=HYPERLINK(")


@pytest.mark.parametrize(("environment", "limit"), [
    ({"MAX_UPLOAD_BYTES": "5000"}, 5000),
    ({"MAX_UPLOAD_BYTES": "5000", "CRIME_IMPORT_MAX_BYTES": "1234"}, 1234),
])
def test_the_import_limit_is_a_setting_from_the_environment_defaulting_to_the_upload_limit(environment, limit):
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key not in {"MAX_UPLOAD_BYTES", "CRIME_IMPORT_MAX_BYTES"}}
    shown = subprocess.run(
        [sys.executable, "-c", "import safecommons.settings as s; print(s.CRIME_IMPORT_MAX_BYTES)"],
        env={**env, **environment}, capture_output=True, text=True, check=True).stdout
    assert int(shown) == limit


def test_an_upload_waits_outside_the_media_folder_under_a_random_name_and_is_removed_once_imported(
        client_for, people, agency, settings):
    from safecommons.crimedata.storage import import_storage

    analyst = client_for(people[Role.ANALYST])
    upload = SimpleUploadedFile("Burglaries 2026.csv", export_bytes(GOOD_AND_BAD), content_type="text/csv")
    analyst.post(reverse("crimedata:import_new"), {"agency": agency.pk, "mapping": "boston-incidents",
                                                    "file": upload})
    run = ImportRun.objects.get()
    stored = Path(import_storage().path(run.stored_file))
    assert stored.is_file() and stored.read_bytes() == export_bytes(GOOD_AND_BAD)
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    assert "Burglaries" not in run.stored_file and len(run.stored_file) == 32 + len(".csv")
    assert stored.stat().st_mode & 0o077 == 0  # the server's user alone reads it
    assert run.source_name == "Burglaries 2026.csv"

    crime_import_process(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.inserted, run.rejected, run.stored_file) == ("done", 2, 1, "")
    assert not stored.exists()


def test_an_upload_whose_run_fails_is_removed_too(client_for, people, agency):
    analyst = client_for(people[Role.ANALYST])
    upload = SimpleUploadedFile("export.csv", b"NOT,THE,HEADER\n1,2,3\n", content_type="text/csv")
    analyst.post(reverse("crimedata:import_new"), {"agency": agency.pk, "mapping": "boston-incidents",
                                                    "file": upload})
    run = ImportRun.objects.get()
    from safecommons.crimedata.storage import import_storage

    stored = Path(import_storage().path(run.stored_file))

    crime_import_process(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "failed" and "INCIDENT_NUMBER" in run.error
    assert not stored.exists() and run.stored_file == ""
