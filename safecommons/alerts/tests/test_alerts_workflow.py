"""The alert workflow: compose, submit, the two-person rule, send back, drills, update and cancel."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from safecommons.alerts.models import Alert
from safecommons.alerts.selectors import alerts as alert_selectors
from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import AlertDraft, AlertRefused, InfoText
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fanouts(monkeypatch):
    """The alerts whose fan-out was queued (matching and delivery are tested with the outbox)."""
    queued = []
    monkeypatch.setattr(alert_services, "_queue_fanout", queued.append)
    return queued


def draft(**changes) -> AlertDraft:
    values = {
        "event": "Burglary series", "area_description": "Around Oak Street",
        "infos": {"en": InfoText("Garage break-ins near Oak Street", "Three garages were broken into.",
                                 "Lock garage doors.")},
        "circles": [{"lat": 44.905, "lon": -93.295, "radius_m": 800}],
        "onset": timezone.now(), "expires": timezone.now() + timedelta(hours=12),
    }
    values.update(changes)
    return AlertDraft(**values)


def actor(people, role):
    return actor_for_user(people[role])


def composed(people, agency, role=Role.OFFICER, **changes) -> Alert:
    return alert_services.alert_compose(actor=actor(people, role), agency=agency, draft=draft(**changes))


def published(people, agency, **changes) -> Alert:
    alert = composed(people, agency, **changes)
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)
    if alert_services.alert_needs_approval(alert):
        alert_services.alert_approve(actor=actor(people, Role.SUPERVISOR), alert=alert)
    alert.refresh_from_db()
    return alert


def test_a_composed_alert_is_a_draft_with_a_stable_identifier_of_the_agency(people, agency):
    alert = composed(people, agency)
    assert alert.state == Alert.State.DRAFT
    assert alert.identifier.startswith(f"{agency.slug}-{timezone.localdate():%Y%m%d}-")
    assert alert.composed_by == people[Role.OFFICER]
    assert alert.infos.get(language="en").headline == "Garage break-ins near Oak Street"


def test_an_actual_public_alert_waits_for_a_second_person_and_approving_publishes_it(people, agency, fanouts):
    alert = composed(people, agency)
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PENDING and alert.sent_at is None and fanouts == []
    alert_services.alert_approve(actor=actor(people, Role.SUPERVISOR), alert=alert)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PUBLISHED and alert.sent_at is not None
    assert alert.approved_by == people[Role.SUPERVISOR]
    assert [queued.pk for queued in fanouts] == [alert.pk]
    assert list(AuditEntry.objects.filter(object_id=str(alert.pk), object_type="alerts.alert").order_by("seq")
                .values_list("action", flat=True)) == ["alert.compose", "alert.submit", "alert.approve"]


def test_the_composer_cannot_approve_their_own_alert_even_as_a_supervisor(people, agency):
    alert = composed(people, agency, role=Role.SUPERVISOR)
    alert_services.alert_submit(actor=actor(people, Role.SUPERVISOR), alert=alert)
    with pytest.raises(PermissionDenied):
        alert_services.alert_approve(actor=actor(people, Role.SUPERVISOR), alert=alert)
    alert_services.alert_approve(actor=actor(people, Role.AGENCY_ADMIN), alert=alert)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PUBLISHED


@pytest.mark.parametrize("role", [Role.OFFICER, Role.LIAISON, Role.ANALYST, Role.PARTNER_ADMIN, Role.RESIDENT])
def test_only_a_supervisor_or_admin_approves(people, agency, role):
    alert = composed(people, agency, role=Role.LIAISON if role != Role.LIAISON else Role.OFFICER)
    alert_services.alert_submit(actor=actor_for_user(alert.composed_by), alert=alert)
    with pytest.raises(PermissionDenied):
        alert_services.alert_approve(actor=actor(people, role), alert=alert)


def test_a_supervisor_of_another_agency_cannot_approve(people, agency):
    from safecommons.accounts.tests.factories import MembershipFactory

    other = OrganisationFactory(kind="agency", name="Elsewhere Police")
    stranger = MembershipFactory(organisation=other, role=Role.SUPERVISOR).user
    alert = composed(people, agency)
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)
    with pytest.raises(PermissionDenied):
        alert_services.alert_approve(actor=actor_for_user(stranger), alert=alert)
    with pytest.raises(PermissionDenied):
        alert_services.alert_compose(actor=actor_for_user(stranger), agency=agency, draft=draft())


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PARTNER_ADMIN, Role.RESIDENT, Role.OVERSIGHT])
def test_people_who_may_not_compose_are_refused(people, agency, role):
    with pytest.raises(PermissionDenied):
        composed(people, agency, role=role)


def test_a_restricted_actual_alert_also_needs_approval(people, agency):
    alert = composed(people, agency, scope=Alert.Scope.RESTRICTED)
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PENDING


@pytest.mark.parametrize("status", [Alert.CapStatus.EXERCISE, Alert.CapStatus.TEST])
def test_a_drill_or_test_is_published_by_its_composer_alone(people, agency, fanouts, status):
    alert = composed(people, agency, cap_status=status)
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PUBLISHED and alert.approved_by is None
    assert fanouts == [alert]


def test_sending_back_needs_a_reason_and_returns_the_alert_to_its_composer(people, agency):
    alert = composed(people, agency)
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)
    with pytest.raises(AlertRefused):
        alert_services.alert_reject(actor=actor(people, Role.SUPERVISOR), alert=alert, reason="  ")
    alert_services.alert_reject(actor=actor(people, Role.SUPERVISOR), alert=alert, reason="Name the street.")
    alert.refresh_from_db()
    assert alert.state == Alert.State.REJECTED and alert.rejection_reason == "Name the street."
    alert_services.alert_edit(actor=actor(people, Role.OFFICER), alert=alert,
                              draft=draft(area_description="Oak Street, 300 block"))
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PENDING and alert.rejection_reason == ""


def test_an_approver_who_edits_a_draft_becomes_its_composer_and_cannot_approve_it(people, agency):
    alert = composed(people, agency)
    alert_services.alert_edit(actor=actor(people, Role.SUPERVISOR), alert=alert, draft=draft(event="Changed"))
    alert_services.alert_submit(actor=actor(people, Role.SUPERVISOR), alert=alert)
    with pytest.raises(PermissionDenied):
        alert_services.alert_approve(actor=actor(people, Role.SUPERVISOR), alert=alert)


def test_a_published_alert_cannot_be_edited(people, agency):
    alert = published(people, agency)
    with pytest.raises(Refused):
        alert_services.alert_edit(actor=actor(people, Role.OFFICER), alert=alert, draft=draft())


@pytest.mark.parametrize(("changes", "field"), [
    ({"expires": timezone.now() - timedelta(hours=1), "onset": timezone.now()}, "expires"),
    ({"circles": []}, "area"),
    ({"circles": [{"lat": 44.9, "lon": -93.3, "radius_m": 5}]}, "area"),
    ({"circles": [{"lat": 44.9, "lon": -93.3, "radius_m": 500_000}]}, "area"),
    ({"circles": [], "polygons": [[[-93.3, 44.9], [-93.29, 44.9], [-93.29, 44.91]]]}, "area"),
    ({"circles": [], "polygons": [[[-93.3, 44.9], [-93.29, 44.9], [-93.29, 44.91], [-93.3, 44.91]]]}, "area"),
    ({"circles": [], "polygons": [[[-93.3, 44.9], [-93.29, 44.91], [-93.29, 44.9], [-93.3, 44.91],
                                   [-93.3, 44.9]]]}, "area"),
    ({"infos": {"en": InfoText("x" * 161, "Body")}}, "headline"),
    ({"infos": {"es": InfoText("Robos", "Tres garajes")}}, "headline"),
    ({"infos": {"en": InfoText("Headline", "Body"), "es": InfoText("", "Cuerpo")}}, "headline_es"),
    ({"event": " "}, "event"),
    ({"urgency": "Soon"}, "urgency"),
])
def test_a_bad_draft_is_refused_with_the_field_and_reason(people, agency, changes, field):
    with pytest.raises(AlertRefused) as refused:
        composed(people, agency, **changes)
    assert field in refused.value.problems
    assert not Alert.objects.exists()


def test_an_area_of_another_agency_is_refused(people, agency):
    foreign = AreaFactory()
    with pytest.raises(AlertRefused) as refused:
        composed(people, agency, circles=[], area_ids=[foreign.pk])
    assert "areas" in refused.value.problems


def test_an_alert_that_expired_before_submission_is_refused(people, agency):
    alert = composed(people, agency, onset=None, expires=timezone.now() + timedelta(seconds=1))
    Alert.objects.filter(pk=alert.pk).update(expires=timezone.now() - timedelta(minutes=1))
    with pytest.raises(AlertRefused):
        alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=alert)


def test_an_update_is_a_new_draft_referencing_the_original_with_its_fields_copied(people, agency):
    original = published(people, agency, polygons=[[[-93.3, 44.9], [-93.29, 44.9], [-93.29, 44.91],
                                                   [-93.3, 44.9]]],
                         infos={"en": InfoText("Head", "Body"), "es": InfoText("Titular", "Cuerpo")})
    update = alert_services.alert_update_start(actor=actor(people, Role.LIAISON), alert=original)
    assert update.state == Alert.State.DRAFT and update.msg_type == Alert.MsgType.UPDATE
    assert update.references == original and update.identifier != original.identifier
    assert update.area_polygons == original.area_polygons and update.event == original.event
    assert {info.language for info in update.infos.all()} == {"en", "es"}
    # It goes through the same approval, and then the original is no longer current.
    assert list(alert_selectors.public_alerts_current()) == [original]
    alert_services.alert_submit(actor=actor(people, Role.LIAISON), alert=update)
    alert_services.alert_approve(actor=actor(people, Role.SUPERVISOR), alert=update)
    assert list(alert_selectors.public_alerts_current()) == [update]
    assert alert_selectors.alert_status(original).followed_by == update


def test_a_cancellation_is_published_at_once_references_the_original_and_is_audited(people, agency, fanouts):
    original = published(people, agency)
    cancel = alert_services.alert_cancel(actor=actor(people, Role.OFFICER), alert=original, reason="Arrest made.")
    assert cancel.state == Alert.State.PUBLISHED and cancel.msg_type == Alert.MsgType.CANCEL
    assert cancel.references == original and cancel.urgency == "Past" and cancel.approved_by is None
    assert fanouts[-1] == cancel
    assert cancel.infos.get(language="en").description != "Arrest made."  # the reason is staff-only
    assert AuditEntry.objects.filter(action="alert.cancel", object_id=str(cancel.pk)).exists()
    status = alert_selectors.alert_status(original)
    assert status.cancelled and not status.current
    assert list(alert_selectors.public_alerts_current()) == []
    with pytest.raises(Refused):
        alert_services.alert_cancel(actor=actor(people, Role.OFFICER), alert=original)
    with pytest.raises(Refused):
        alert_services.alert_update_start(actor=actor(people, Role.OFFICER), alert=original)


def test_an_update_of_an_alert_cancelled_meanwhile_cannot_be_published(people, agency):
    original = published(people, agency)
    update = alert_services.alert_update_start(actor=actor(people, Role.OFFICER), alert=original)
    alert_services.alert_cancel(actor=actor(people, Role.OFFICER), alert=original)
    with pytest.raises(Refused):
        alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=update)


def test_a_resident_cannot_cancel(people, agency):
    original = published(people, agency)
    with pytest.raises(PermissionDenied):
        alert_services.alert_cancel(actor=actor(people, Role.RESIDENT), alert=original)


def test_expired_alerts_leave_the_current_list(people, agency):
    alert = published(people, agency)
    assert list(alert_selectors.public_alerts_current()) == [alert]
    later = alert.expires + timedelta(seconds=1)
    assert list(alert_selectors.public_alerts_current(now=later)) == []


@pytest.mark.parametrize("changes", [{"cap_status": Alert.CapStatus.EXERCISE}, {"cap_status": Alert.CapStatus.TEST},
                                     {"scope": Alert.Scope.RESTRICTED}])
def test_drills_tests_and_restricted_alerts_are_never_current_for_the_public(people, agency, changes):
    published(people, agency, **changes)
    assert list(alert_selectors.public_alerts_current()) == []
    assert alert_selectors.public_feed_alerts() == []


def test_the_staff_lists_split_drafts_what_awaits_me_and_published(people, agency):
    draft_alert = composed(people, agency)
    waiting = composed(people, agency)
    alert_services.alert_submit(actor=actor(people, Role.OFFICER), alert=waiting)
    done = published(people, agency)
    lists = alert_selectors.alerts_staff_lists(actor=actor(people, Role.SUPERVISOR), agency=agency)
    assert lists.drafts == [draft_alert] and lists.awaiting_me == [waiting] and lists.published == [done]
    officer_lists = alert_selectors.alerts_staff_lists(actor=actor(people, Role.OFFICER), agency=agency)
    assert officer_lists.awaiting_me == [] and officer_lists.pending == [waiting]


def test_publishing_writes_the_deliveries_in_the_same_transaction(people, agency, monkeypatch):
    from safecommons.alerts.models import Delivery
    from safecommons.alerts.tests.factories import ChannelFactory, SubscriptionFactory

    monkeypatch.undo()  # the outbox's own writing, not the recorder
    target = ChannelFactory(subscription=SubscriptionFactory(agency=agency, lat=44.905, lon=-93.295))
    alert = published(people, agency, circles=[{"lat": 44.905, "lon": -93.295, "radius_m": 500}])
    assert alert.state == Alert.State.PUBLISHED and alert.sent_at is not None
    [delivery] = Delivery.objects.filter(alert=alert)
    assert delivery.target == target and delivery.status == Delivery.Status.PENDING

    def broken(**_kwargs):
        raise RuntimeError("the outbox could not be written")

    monkeypatch.setattr("safecommons.alerts.services.outbox.alert_fanout_run", broken)
    waiting = composed(people, agency, Role.LIAISON)
    alert_services.alert_submit(actor=actor(people, Role.LIAISON), alert=waiting)
    with pytest.raises(RuntimeError):
        alert_services.alert_approve(actor=actor(people, Role.SUPERVISOR), alert=waiting)
    waiting.refresh_from_db()
    assert waiting.state == Alert.State.PENDING  # not published without its deliveries


def test_an_update_that_changes_the_english_words_but_not_the_spanish_is_refused(people, agency):
    original = published(people, agency, infos={"en": InfoText("Car break-ins", "Five cars were forced."),
                                                 "es": InfoText("Robos de autos", "Cinco autos fueron forzados.")})
    liaison = actor(people, Role.LIAISON)
    update = alert_services.alert_update_start(actor=liaison, alert=original)
    words = alert_services.alert_draft_of(update)
    english_only = AlertDraft(**{**words.__dict__, "infos": {**words.infos, "en": InfoText(
        "Update: suspect arrested", "A suspect was arrested this morning.")}})
    update = alert_services.alert_edit(actor=liaison, alert=update, draft=english_only)
    with pytest.raises(Refused, match="Spanish"):
        alert_services.alert_submit(actor=liaison, alert=update)
    both = AlertDraft(**{**english_only.__dict__, "infos": {**english_only.infos, "es": InfoText(
        "Actualización: sospechoso detenido", "Un sospechoso fue detenido esta mañana.")}})
    update = alert_services.alert_edit(actor=liaison, alert=update, draft=both)
    assert alert_services.alert_submit(actor=liaison, alert=update).state == Alert.State.PENDING


def test_a_circle_drawn_outside_the_jurisdiction_is_refused(people, agency):
    from safecommons.places.models import AreaKind

    AreaFactory(agency=agency, kind=AreaKind.JURISDICTION, lon=-93.4, lat=44.8, size=0.3)
    inside = draft(circles=[{"lat": 44.905, "lon": -93.295, "radius_m": 500}])
    assert "area" not in alert_services.alert_draft_check(agency=agency, draft=inside)
    far = draft(circles=[{"lat": 44.947, "lon": -93.80, "radius_m": 500}])
    assert "outside the agency" in " ".join(alert_services.alert_draft_check(agency=agency, draft=far)["area"])
