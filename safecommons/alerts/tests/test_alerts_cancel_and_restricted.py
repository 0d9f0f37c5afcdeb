"""A cancellation publishes only fixed, translated words (its author's reason stays in the audit trail for
staff), its subject says "Cancelled" once; a restricted alert is read only by the agency's staff and the
partner staff of an organisation with an agreement in force with the agency; a headline, event or area
description with a line break or other control character is refused."""

import datetime
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safecommons.alerts.messages import alert_message
from safecommons.alerts.models import Alert
from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import AlertDraft, AlertRefused, InfoText
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import Agreement, OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory, agreement_between

pytestmark = pytest.mark.django_db
REASON = "Suspect Jo Bloggs of 12 Elm St arrested"


@pytest.fixture(autouse=True)
def _no_fanout(monkeypatch):
    monkeypatch.setattr(alert_services, "_queue_fanout", lambda alert: None)


def draft(**changes) -> AlertDraft:
    values = {"event": "Gas leak", "area_description": "Oak Street",
              "infos": {"en": InfoText("Gas leak on Oak", "Keep away from Oak Street.", "Stay indoors."),
                        "es": InfoText("Fuga de gas en Oak", "Aléjese de la calle Oak.", "Quédese en casa.")},
              "circles": [{"lat": 44.905, "lon": -93.295, "radius_m": 800}],
              "expires": timezone.now() + timedelta(hours=6)}
    values.update(changes)
    return AlertDraft(**values)


def published(people, agency, **changes) -> Alert:
    officer = actor_for_user(people[Role.OFFICER])
    alert = alert_services.alert_compose(actor=officer, agency=agency, draft=draft(**changes))
    alert_services.alert_submit(actor=officer, alert=alert)
    alert_services.alert_approve(actor=actor_for_user(people[Role.SUPERVISOR]), alert=alert)
    alert.refresh_from_db()
    return alert


# --- Finding 4: a cancellation publishes no free text


def test_a_cancellation_publishes_fixed_words_in_each_language_and_never_the_reason(people, agency, client_for):
    original = published(people, agency)
    cancel = alert_services.alert_cancel(actor=actor_for_user(people[Role.OFFICER]), alert=original, reason=REASON)
    infos = {info.language: info for info in cancel.infos.all()}
    assert set(infos) == {"en", "es"}
    assert infos["en"].headline == "Cancelled: Gas leak on Oak"
    assert "Gas leak on Oak" in infos["en"].description and "no further action" in infos["en"].description
    assert "Fuga de gas en Oak" in infos["es"].description
    assert all(REASON not in f"{info.headline} {info.description} {info.instruction}" for info in infos.values())

    public = Client()
    seen = [
        public.get(reverse("alerts:public_detail", args=[cancel.identifier])),
        public.get(reverse("alerts:public_cap", args=[cancel.identifier])),
        public.get(reverse("alerts:public_feed")),
        public.get(f"/api/alerts/alerts/{cancel.identifier}"),
        public.get(f"/api/alerts/alerts/{cancel.identifier}/cap"),
    ]
    for response in seen:
        assert response.status_code == 200, response.request
        assert REASON not in response.content.decode()
    assert cancel.identifier in seen[2].content.decode()  # the cancellation is in the feed, without the reason
    for language in ("en", "es"):
        message = alert_message(cancel, language)
        assert all(REASON not in text for text in (message.subject, message.text, message.html, message.short))

    entry = AuditEntry.objects.get(action="alert.cancel", object_id=str(cancel.pk))
    assert entry.reason == REASON
    staff = client_for(people[Role.OFFICER]).get(reverse("alerts:alert_staff_detail", args=[cancel.identifier]))
    assert 'id="cancel-reason-staff"' in staff.content.decode() and REASON in staff.content.decode()


def test_the_cancellation_subject_says_cancelled_once(people, agency):
    original = published(people, agency)
    cancel = alert_services.alert_cancel(actor=actor_for_user(people[Role.OFFICER]), alert=original, reason="")
    assert alert_message(cancel, "en").subject == "Cancelled: Gas leak on Oak"
    assert alert_message(cancel, "en").short.startswith("Cancelled: Gas leak on Oak http")


# --- Finding 6: restricted alerts only under an agreement in force


def _restricted_reads(client, alert) -> list[int]:
    return [client.get(reverse("alerts:public_detail", args=[alert.identifier])).status_code,
            client.get(reverse("alerts:public_cap", args=[alert.identifier])).status_code,
            client.get(f"/api/alerts/alerts/{alert.identifier}").status_code]


def test_partner_staff_without_an_agreement_with_the_agency_cannot_read_a_restricted_alert(people, agency, partner,
                                                                                           client_for):
    other_agency = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere Police")
    agreement_between(other_agency, partner)  # an agreement, but with another agency
    alert = published(people, agency, scope=Alert.Scope.RESTRICTED)
    for role in (Role.PARTNER_MEMBER, Role.PARTNER_ADMIN):
        assert _restricted_reads(client_for(people[role]), alert) == [404, 404, 404]


def test_partner_staff_with_an_agreement_in_force_read_a_restricted_alert(people, agency, partner, client_for):
    agreement_between(agency, partner)
    alert = published(people, agency, scope=Alert.Scope.RESTRICTED)
    page, cap, api = _restricted_reads(client_for(people[Role.PARTNER_MEMBER]), alert)
    assert (page, cap) == (200, 200)
    assert api == 404  # the public API reads public alerts only, for everyone
    assert _restricted_reads(client_for(people[Role.OFFICER]), alert)[:2] == [200, 200]


@pytest.mark.parametrize("agreement", [
    {"expires_on": datetime.date.today() - timedelta(days=2)},
    {"status": Agreement.Status.TERMINATED},
    {"status": Agreement.Status.DRAFT},
], ids=["expired", "terminated", "draft"])
def test_partner_staff_whose_agreement_is_not_in_force_cannot_read_a_restricted_alert(people, agency, partner,
                                                                                      client_for, agreement):
    agreement_between(agency, partner, effective_from=timezone.localdate() - timedelta(days=60),
                      **{"expires_on": timezone.localdate() + timedelta(days=30), **agreement})
    alert = published(people, agency, scope=Alert.Scope.RESTRICTED)
    assert _restricted_reads(client_for(people[Role.PARTNER_MEMBER]), alert) == [404, 404, 404]


# --- Finding 11: one-line fields


@pytest.mark.parametrize(("changes", "field"), [
    ({"event": "Gas\nleak"}, "event"),
    ({"event": "Gas\rleak"}, "event"),
    ({"area_description": "Oak\x00Street"}, "area_description"),
    ({"infos": {"en": InfoText("Gas leak\non Oak", "Keep away.")}}, "headline"),
    ({"infos": {"en": InfoText("Gas leak on Oak", "Keep away."),
                "es": InfoText("Fuga de gas\u2028en Oak", "Aléjese.")}}, "headline_es"),
    ({"infos": {"en": InfoText("Gas leak\ton Oak", "Keep away.")}}, "headline"),
])
def test_a_line_break_or_control_character_in_a_one_line_field_is_refused(people, agency, changes, field):
    with pytest.raises(AlertRefused) as refused:
        alert_services.alert_compose(actor=actor_for_user(people[Role.OFFICER]), agency=agency,
                                     draft=draft(**changes))
    assert field in refused.value.problems
    assert "one line" in " ".join(refused.value.problems[field])


def test_a_description_may_still_have_line_breaks(people, agency):
    alert = alert_services.alert_compose(actor=actor_for_user(people[Role.OFFICER]), agency=agency, draft=draft(
        infos={"en": InfoText("Gas leak on Oak", "Keep away.\nDo not use switches.", "Leave.\nCall 911.")}))
    assert "\n" in alert.infos.get(language="en").description


def test_the_api_refuses_a_headline_with_a_line_break_with_its_field(people, agency, client_for):
    import json

    payload = {"event": "Gas leak", "area_description": "Oak Street",
               "expires": (timezone.now() + timedelta(hours=6)).isoformat(),
               "circles": [{"lat": 44.905, "lon": -93.295, "radius_m": 800}],
               "infos": [{"language": "en", "headline": "Gas leak\r\nBcc: everyone@example.com", "description": "x"}]}
    response = client_for(people[Role.OFFICER]).post("/api/alerts/alerts", json.dumps(payload),
                                                     content_type="application/json")
    assert response.status_code == 400
    assert "one line" in response.content.decode()
    assert not Alert.objects.exists()
