"""Odd digits in a query (a superscript two passes str.isdigit) get a refusal or are ignored, never a crash."""

import pytest

from safecommons.crimedata.tests.factories import CrimeRecordFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["page=%C2%B2", "area=%C2%B2", "hour_from=%C2%B2", "weekday=%C2%B2"])
def test_odd_digits_in_a_map_query_are_refused_not_a_crash(client, agency, query):
    CrimeRecordFactory(agency=agency)
    assert client.get(f"/crime/map/?agency={agency.slug}&{query}").status_code in (200, 400)


def test_odd_digits_in_a_trends_query_are_refused_not_a_crash(client, agency):
    CrimeRecordFactory(agency=agency)
    assert client.get(f"/crime/trends/?agency={agency.slug}&neighborhood=%C2%B2").status_code == 400
