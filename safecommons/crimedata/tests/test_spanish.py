"""The crime pages in Spanish: a reader whose browser asks for Spanish gets the map, the trends, the area report,
the publication settings and the menu links in Spanish, offense groups included."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from safecommons.core.roles import Role
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.crimedata.tests.test_area_report import pdf_text
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
PARAMS = {"start": "2026-05-01", "end": "2026-05-31", "as_of": "2026-05-31"}


@pytest.fixture
def area(agency):
    """One neighborhood with thefts, burglaries and a kidnapping (a group shown only as area counts)."""
    riverside = AreaFactory(agency=agency, name="Riverside", lon=-93.28, lat=44.97, size=0.02)
    for i in range(12):
        CrimeRecordFactory(agency=agency, nibrs_code="23C", neighborhood=riverside, latitude=44.97, longitude=-93.28,
                           occurred_at=datetime(2026, 5, 30, 14, tzinfo=TZ) - timedelta(days=i * 2))
    for i in range(4):
        CrimeRecordFactory(agency=agency, nibrs_code="220", neighborhood=riverside, latitude=44.971, longitude=-93.281,
                           occurred_at=datetime(2026, 5, 20, 2, tzinfo=TZ) - timedelta(days=i))
    CrimeRecordFactory(agency=agency, nibrs_code="100", neighborhood=riverside, latitude=44.972, longitude=-93.282,
                       occurred_at=datetime(2026, 4, 10, 9, tzinfo=TZ))
    hourly_counts_refresh(agency_id=agency.pk)
    return riverside


def text_of(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_crime_map_is_in_spanish(client, area):
    text = text_of(client.get("/crime/map/", PARAMS, **SPANISH))
    assert '<html lang="es"' in text
    for spanish in ("Mapa delictivo", "Cómo se protegen los lugares", "Nunca se muestra un lugar exacto",
                    "solo conteos", "Desde la hora", "hasta la hora", "cualquiera", "Días de la semana", "Lunes",
                    "Domingo", "Delitos, los más recientes primero", "Hurto (robo sin violencia)", "Secuestro",
                    "Homicidio", "Delitos que se muestran solo como conteos por vecindario y mes",
                    "Tendencias delictivas"):
        assert spanish in text, spanish
    for english in ("How places are protected", "No exact place is ever shown", "counts only", "From hour",
                    "Larceny / theft", "Kidnapping", "Monday", "Crime trends"):
        assert english not in text, english


def test_the_crime_trends_are_in_spanish(client, area):
    text = text_of(client.get("/crime/trends/", PARAMS, **SPANISH))
    for spanish in ("Tendencias delictivas", "Cuándo y dónde ocurren los delitos", "Los conteos pequeños se reservan",
                    "Cambios: CompStat", "Últimos 28 días", "En lo que va del año", "Periodo anterior",
                    "Cuándo: día de la semana y hora", "Registros por vecindario y grupo de delitos",
                    "Hurto (robo sin violencia)", "Delitos publicados solo como conteos mensuales por vecindario",
                    "Mapa delictivo"):
        assert spanish in text, spanish
    for english in ("When and where offenses happen", "Small counts are withheld", "Changes: CompStat",
                    "Year to date", "Larceny / theft", "Crime map"):
        assert english not in text, english


def test_the_english_page_stays_english(client, area):
    text = text_of(client.get("/crime/map/", PARAMS, HTTP_ACCEPT_LANGUAGE="en"))
    assert "How places are protected" in text and "Larceny / theft" in text and "Monday" in text
    assert "Cómo se protegen los lugares" not in text and "Lunes" not in text


def test_the_public_area_report_is_in_spanish(client, area):
    text = pdf_text(client.get(f"/crime/trends/areas/{area.pk}/report.pdf", PARAMS, **SPANISH).content)
    assert "Informe de la zona: Riverside" in text and "Versión pública." in text
    assert "Area report" not in text and "Public version" not in text


def test_the_publication_settings_and_the_staff_menu_are_in_spanish(client_for, people, area):
    client = client_for(people[Role.AGENCY_ADMIN])
    text = text_of(client.get("/crime/publication/", **SPANISH))
    for spanish in ("Mapa delictivo: lo que ve el público", "Publicación de cada grupo de delitos",
                    "Solo como conteos por zona", "En un punto: el centro de su celda de la cuadrícula",
                    "Delito contra la familia", "Análisis", "Importar datos delictivos",
                    "Publicación del mapa delictivo"):
        assert spanish in text, spanish
    for english in ("Crime map: what the public sees", "Only as counts per area", "Family offense",
                    "Import crime data", "Crime map publication"):
        assert english not in text, english
