"""manage.py crime_import: the summary, the rejected rows, and an exit status that says whether it worked."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from safecommons.crimedata.models import CrimeRecord
from safecommons.crimedata.tests.import_files import BOSTON_HEADER, boston_row, csv_write

pytestmark = pytest.mark.django_db
ROWS = [boston_row(number="C1", code="619", occurred="2026-04-01 10:00:00"),
        boston_row(number="C2", code="55555", occurred="2026-04-01 11:00:00"),
        boston_row(number="C3", code="619", occurred="2026-04-01 12:00:00", lat="x")]


def test_the_command_imports_prints_the_summary_and_writes_the_report(agency, tmp_path):
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, ROWS)
    report = tmp_path / "rejected.csv"
    out = io.StringIO()
    call_command("crime_import", str(path), "--mapping", "boston-incidents", "--agency", agency.slug,
                 "--report", str(report), stdout=out, stderr=io.StringIO(), verbosity=0)
    text = out.getvalue()
    assert "3 rows read: 2 inserted, 0 updated, 1 rejected" in text
    assert "55555 (1)" in text
    rows = list(csv.reader(report.open()))
    assert rows[1][:3] == ["4", "C3-619", "latitude 'x', longitude '-93.27': not numbers"]
    assert CrimeRecord.objects.filter(agency=agency).count() == 2

    again = io.StringIO()
    call_command("crime_import", str(path), "--mapping", "boston-incidents", "--agency", str(agency.pk),
                 stdout=again, stderr=io.StringIO(), verbosity=0)
    assert "2 updated" in again.getvalue()


def test_the_command_lists_rejections_without_a_report_file(agency, tmp_path):
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, ROWS)
    err = io.StringIO()
    call_command("crime_import", str(path), "--mapping", "boston-incidents", "--agency", agency.slug,
                 stdout=io.StringIO(), stderr=err, verbosity=0)
    assert "line 4: latitude 'x'" in err.getvalue()


def test_a_failed_run_exits_non_zero(agency, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="the import failed: the file has no column 'INCIDENT_NUMBER'"):
        call_command("crime_import", str(path), "--mapping", "boston-incidents", "--agency", agency.slug,
                     stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--mapping", "no-such", "--agency", "x"], "no shipped mapping"),
    (["--mapping", "boston-incidents", "--agency", "no-such-agency"], "no agency"),
])
def test_a_wrong_mapping_or_agency_exits_non_zero(agency, tmp_path, arguments, message):
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, ROWS)
    with pytest.raises(CommandError, match=message):
        call_command("crime_import", str(path), *arguments, stdout=io.StringIO(), stderr=io.StringIO())


def test_the_exit_status_of_the_real_command_is_non_zero_on_failure(agency, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "missing.csv"
    done = subprocess.run([sys.executable, "manage.py", "crime_import", str(path), "--mapping", "boston-incidents",
                           "--agency", "x"], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode != 0 and "no file at" in done.stderr


def test_the_report_file_quotes_cells_a_spreadsheet_would_run_as_formulas(agency, tmp_path):
    formula = '=HYPERLINK("http://example.invalid/x","open")'
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, [
        boston_row(number=formula, code="619", occurred="not a date")])
    report = tmp_path / "rejected.csv"
    call_command("crime_import", str(path), "--mapping", "boston-incidents", "--agency", agency.slug,
                 "--report", str(report), stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
    line, source_id, _reason, excerpt = list(csv.reader(report.open()))[1]
    assert line == "2"
    assert source_id == "'" + formula + "-619"
    assert excerpt.startswith("'=HYPERLINK(")
