"""Safety tips: staff add, edit and deactivate them in both languages; bad input is refused with a reason;
a deactivated tip leaves the rotation."""

import pytest
from django.urls import reverse

from safecommons.alerts.models import SafetyTip
from safecommons.alerts.selectors.newsletters import safety_tip_next
from safecommons.alerts.services.newsletters import safety_tip_save
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db


def test_a_liaison_adds_tips_in_english_and_spanish(agency, people, client_for):
    client = client_for(people[Role.LIAISON])
    for language, title in (("en", "Lock your car"), ("es", "Cierre su auto")):
        response = client.post(reverse("alerts:staff_safety_tips"),
                               {"agency": agency.pk, "language": language, "title": title, "body": "…",
                                "active": "on"})
        assert response.status_code == 302
    assert sorted(SafetyTip.objects.values_list("language", "title", "active")) == [
        ("en", "Lock your car", True), ("es", "Cierre su auto", True)]
    page = client.get(reverse("alerts:staff_safety_tips")).content.decode()
    assert "Lock your car" in page and "Cierre su auto" in page


def test_deactivating_a_tip_takes_it_out_of_the_rotation(agency, people, client_for):
    first = SafetyTip.objects.create(agency=agency, title="Lock your car", body="Always.")
    second = SafetyTip.objects.create(agency=agency, title="Light your porch", body="At night.")
    assert safety_tip_next(agency=agency, language="en") == first
    response = client_for(people[Role.ANALYST]).post(
        reverse("alerts:staff_safety_tip", args=[first.pk]),
        {"language": "en", "title": "Lock your car", "body": "Always."})  # "active" unchecked
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.active is False
    assert safety_tip_next(agency=agency, language="en") == second
    assert safety_tip_next(agency=agency, language="es") is None


def test_an_edit_changes_the_words(agency, people, client_for):
    tip = SafetyTip.objects.create(agency=agency, title="Lock your car", body="Always.")
    client = client_for(people[Role.SUPERVISOR])
    form = client.get(reverse("alerts:staff_safety_tip", args=[tip.pk])).content.decode()
    assert 'value="Lock your car"' in form and "checked" in form
    client.post(reverse("alerts:staff_safety_tip", args=[tip.pk]),
                {"language": "es", "title": "Cierre su auto", "body": "Siempre.", "active": "on"})
    tip.refresh_from_db()
    assert (tip.language, tip.title, tip.body, tip.active) == ("es", "Cierre su auto", "Siempre.", True)


@pytest.mark.parametrize(("fields", "message"), [
    ({"language": "fr", "title": "T", "body": "B"}, "Choose a language"),
    ({"language": "en", "title": " ", "body": "B"}, "title"),
    ({"language": "en", "title": "T", "body": ""}, "Write the tip"),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_is_saved(agency, people, client_for, fields, message):
    response = client_for(people[Role.LIAISON]).post(reverse("alerts:staff_safety_tips"),
                                                     {"agency": agency.pk, **fields})
    assert response.status_code == 400 and message in response.content.decode()
    assert not SafetyTip.objects.exists()


def test_an_officer_cannot_add_tips_and_the_service_checks_the_language_too(agency, people):
    with pytest.raises(Exception, match="newsletter.prepare"):
        safety_tip_save(actor=actor_for_user(people[Role.OFFICER]), agency=agency, language="en", title="T",
                        body="B")
    with pytest.raises(Refused):
        safety_tip_save(actor=actor_for_user(people[Role.LIAISON]), agency=agency, language="xx", title="T",
                        body="B")
    assert not SafetyTip.objects.exists()
