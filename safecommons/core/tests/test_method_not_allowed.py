"""An address that only takes a form's POST, opened in the browser, says what it is instead of a blank page."""

import pytest

from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db


def test_opening_a_forms_address_explains_itself(people, client_for):
    response = client_for(people[Role.OFFICER]).get("/incidents/1/close/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "This address takes a form, not a visit" in response.content.decode()


def test_the_api_keeps_its_own_answer(people, client_for):
    response = client_for(people[Role.OFFICER]).get("/api/incidents/alarms")

    assert response.status_code == 405
    assert b"This address takes a form" not in response.content
