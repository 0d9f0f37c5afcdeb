"""Related tips (place, time, words) and retention (rules, purge, legal hold, schedule)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from safecommons.core.audit.models import AuditEntry
from safecommons.core.models import ScheduledRun
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.core.schedule import schedule_run_due
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.tips import relate, services
from safecommons.tips.models import Category, RelatedTip, Status, Tip, TipAttachment
from safecommons.tips.tests.factories import TipFactory

pytestmark = pytest.mark.django_db

VAN = "White van with a ladder on the roof parked outside the pharmacy at night, two men unloading boxes."


def test_terms_drop_stop_words_and_accents_and_keep_plates():
    assert relate.terms_of("The café on Main St", "plate ABC1234") == "abc1234 cafe main plate"


def test_a_tip_is_linked_to_an_earlier_one_close_in_place_time_and_words(agency):
    now = timezone.now()
    earlier = TipFactory(agency=agency, description=VAN, event_at=now - timedelta(days=2))
    far_away = TipFactory(agency=agency, description=VAN, longitude=-93.20, event_at=now - timedelta(days=2))
    long_ago = TipFactory(agency=agency, description=VAN, event_at=now - timedelta(days=90))
    unrelated = TipFactory(agency=agency, description="Kids racing dirt bikes in the park after dark.")
    other_agency = TipFactory(agency=OrganisationFactory(kind="agency"), description=VAN)
    new = TipFactory(agency=agency, description="Saw the white van again, ladder on the roof, men unloading boxes "
                                                "by the pharmacy.", longitude=-93.2952, event_at=now)
    links = services.tip_relate(tip=new)
    assert [link.other_id for link in links] == [earlier.pk]
    link = RelatedTip.objects.get(tip=new)
    assert {"van", "ladder", "pharmacy", "boxes"} <= set(link.shared_terms)
    assert link.distance_m < 50 and 47 < link.hours_apart < 49
    assert {far_away.pk, long_ago.pk, unrelated.pk, other_agency.pk}.isdisjoint({lk.other_id for lk in links})


def test_a_shared_licence_plate_links_tips_even_in_few_words(agency):
    earlier = TipFactory(agency=agency, description="Car with plate 7XYZ123 speeding every morning.",
                         location_kind="unknown", longitude=None, latitude=None)
    new = TipFactory(agency=agency, description="Dealer drives a grey sedan, plate 7xyz123.")
    assert [link.other_id for link in services.tip_relate(tip=new)] == [earlier.pk]


def test_processing_twice_links_once(agency):
    TipFactory(agency=agency, description=VAN)
    new = TipFactory(agency=agency, description=VAN)
    services.tip_process(tip_id=new.pk)
    services.tip_process(tip_id=new.pk)
    assert RelatedTip.objects.filter(tip=new).count() == 1


def aged(tip: Tip, days: int) -> Tip:
    Tip.objects.filter(pk=tip.pk).update(status_changed_at=timezone.now() - timedelta(days=days))
    return tip


def test_expired_tips_and_their_files_are_purged_and_logged_unless_on_hold(agency, people, settings):
    settings.TIP_RETENTION_DAYS = 365
    admin = actor_for_user(people[Role.AGENCY_ADMIN])
    services.retention_rule_save(actor=admin, agency=agency, status=Status.CLOSED, category="", keep_days=90)
    services.retention_rule_save(actor=admin, agency=agency, status=Status.CLOSED, category=Category.HOMICIDE,
                                 keep_days=3650)
    closed_old = aged(TipFactory(agency=agency, status=Status.CLOSED), 100)
    closed_recent = aged(TipFactory(agency=agency, status=Status.CLOSED), 30)
    homicide = aged(TipFactory(agency=agency, status=Status.CLOSED, category=Category.HOMICIDE), 100)
    open_old = aged(TipFactory(agency=agency, status=Status.INVESTIGATING), 400)
    held = aged(TipFactory(agency=agency, status=Status.CLOSED), 100)
    services.tip_legal_hold_set(actor=actor_for_user(people[Role.SUPERVISOR]), tip=held, on=True,
                                reason="Case 26-1234: court order")
    aged(held, 100)
    name = default_storage.save("tips/evidence.jpg", ContentFile(b"jpeg bytes"))
    TipAttachment.objects.create(tip=closed_old, file=name, kind="image", content_type="image/jpeg", size=10,
                                 sha256="0" * 64)

    with django_capture_on_commit():
        assert services.tips_purge_expired() == 2

    remaining = set(Tip.objects.values_list("pk", flat=True))
    assert remaining == {closed_recent.pk, homicide.pk, held.pk}
    assert not default_storage.exists(name)
    purged = AuditEntry.objects.filter(action="tip.purged")
    assert {e.details["reference"] for e in purged} == {closed_old.reference, open_old.reference}
    assert {e.details["keep_days"] for e in purged} == {90, 365}


def django_capture_on_commit():
    """Run on-commit callbacks (file deletion) inside the test transaction."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_the_schedule_enqueues_the_purge_hourly_and_the_catch_up_every_ten_minutes(agency, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    aged(TipFactory(agency=agency, status=Status.CLOSED), settings.TIP_RETENTION_DAYS + 1)
    now = timezone.now()

    def tip_jobs(names: list[str]) -> list[str]:  # the schedule also holds other capabilities' jobs
        return [name for name in names if name.startswith("tips.")]

    assert tip_jobs(schedule_run_due(now=now)) == ["tips.purge_expired", "tips.process_pending"]
    assert not Tip.objects.exists()
    assert tip_jobs(schedule_run_due(now=now + timedelta(minutes=5))) == []
    assert tip_jobs(schedule_run_due(now=now + timedelta(minutes=30))) == ["tips.process_pending"]
    assert tip_jobs(schedule_run_due(now=now + timedelta(minutes=61))) == ["tips.purge_expired",
                                                                             "tips.process_pending"]
    assert ScheduledRun.objects.get(name="tips.purge_expired").last_enqueued_at == now + timedelta(minutes=61)


def test_tips_whose_processing_was_never_enqueued_are_caught_up(agency, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    stuck = TipFactory(agency=agency, category=Category.CYBER)
    fresh = TipFactory(agency=agency)
    Tip.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    assert services.tips_process_pending() == 1
    assert set(Tip.objects.filter(processed=True).values_list("pk", flat=True)) == {stuck.pk}
    assert not Tip.objects.get(pk=fresh.pk).processed


def test_a_queue_that_is_down_does_not_cost_the_tipster_the_receipt(client, agency, settings, monkeypatch):
    """A queue outside the database (RQ) is told after the commit; if it is down, the tip stays."""
    from django.test import TestCase
    from django_tasks.backends.immediate import ImmediateBackend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def queue_down(self, task, args, kwargs):
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(ImmediateBackend, "enqueue", queue_down)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/tips/", {"category": "drugs", "description": "Deals at the corner after dark.",
                                          "location_kind": "unknown"})
    assert response.status_code == 201
    assert Tip.objects.filter(processed=False).count() == 1


def test_with_the_database_queue_a_tip_and_its_task_are_one_commit(client, agency, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = client.post("/tips/", {"category": "drugs", "description": "Deals at the corner after dark.",
                                      "location_kind": "unknown"})
    assert response.status_code == 201
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [Tip.objects.get().pk]


def test_the_queue_area_filter_finds_tips_in_a_larger_area(client_for, people, agency):
    from safecommons.places.models import AreaKind
    from safecommons.places.tests.factories import AreaFactory

    AreaFactory(agency=agency, kind=AreaKind.NEIGHBORHOOD, lon=-93.30, lat=44.90, size=0.01)
    beat = AreaFactory(agency=agency, kind=AreaKind.BEAT, lon=-93.31, lat=44.89, size=0.05)
    inside = TipFactory(agency=agency, longitude=-93.295, latitude=44.905)
    TipFactory(agency=agency, longitude=-93.0, latitude=44.0)
    page = client_for(people[Role.ANALYST]).get("/tips/queue/", {"area": beat.pk})
    assert [t.pk for t in page.context["tips"]] == [inside.pk]


def test_a_legal_hold_needs_a_reason(agency, people):
    tip = TipFactory(agency=agency)
    with pytest.raises(services.Refused):
        services.tip_legal_hold_set(actor=actor_for_user(people[Role.SUPERVISOR]), tip=tip, on=True, reason=" ")


def test_a_link_shows_on_both_tips_and_only_to_coordinators(client_for, people, agency):
    earlier = TipFactory(agency=agency, description=VAN, assigned_officer=people[Role.OFFICER])
    later = TipFactory(agency=agency, description=VAN)
    services.tip_relate(tip=later)
    analyst = client_for(people[Role.ANALYST])
    assert later.reference in analyst.get(f"/tips/staff/{earlier.reference}/").content.decode()
    officer_page = client_for(people[Role.OFFICER]).get(f"/tips/staff/{earlier.reference}/").content.decode()
    assert later.reference not in officer_page and "Possibly related tips" not in officer_page


def test_redaction_takes_phone_numbers_and_emails_but_not_dates():
    text = "Call (612) 555-0100 or +1 612.555.0101 or 555-0102, mail x@y.example; seen 2026-01-15 at 10:30."
    redacted = services.redact(text)
    assert "555-01" not in redacted and "x@y.example" not in redacted
    assert "2026-01-15" in redacted and "10:30" in redacted
