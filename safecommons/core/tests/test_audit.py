import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from safecommons.core.audit.models import AppendOnlyError, AuditEntry
from safecommons.core.audit.services import audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db


def write_entries(count: int) -> list[AuditEntry]:
    return [audit_record(action="test.event", actor_label=f"tester{i}", reason=f"case {i}") for i in range(count)]


def raw_update(sql: str, params: list) -> None:
    """What an attacker with database access could do: bypass the app and its triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("DROP TRIGGER audit_entry_no_delete")
            cursor.execute(sql, params)


def test_entries_are_numbered_and_linked_to_the_one_before():
    first, second, third = write_entries(3)
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert second.prev_hash == first.entry_hash
    assert third.prev_hash == second.entry_hash
    assert audit_chain_verify().ok


def test_the_application_cannot_update_or_delete_entries():
    entry = write_entries(1)[0]
    entry.reason = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_the_database_refuses_an_update_that_bypasses_the_orm():
    entry = write_entries(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["changed", entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])


def test_verification_names_the_first_altered_entry():
    entries = write_entries(5)
    raw_update("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["nothing to see", entries[2].pk])
    report = audit_chain_verify()
    assert not report.ok
    assert report.first_broken_seq == 3
    assert "altered" in report.problem
    assert report.checked == 2


def test_verification_notices_a_removed_entry_in_the_middle_and_at_the_end():
    entries = write_entries(4)
    raw_update("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    assert audit_chain_verify().first_broken_seq == 2


def test_verification_notices_the_newest_entries_removed():
    entries = write_entries(4)
    raw_update("DELETE FROM core_auditentry WHERE id = %s", [entries[3].pk])
    report = audit_chain_verify()
    assert report.first_broken_seq == 4
    assert "removed" in report.problem


def test_the_verify_command_fails_loudly_on_a_broken_chain(capsys):
    entries = write_entries(3)
    call_command("verify_audit_chain", verbosity=0)
    assert "intact: 3 entries" in capsys.readouterr().out
    raw_update("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", ["someone else", entries[0].pk])
    with pytest.raises(CommandError, match="broken at entry #1"):
        call_command("verify_audit_chain", verbosity=0)


def test_an_entry_records_who_in_which_role_and_organisation(people, agency):
    from safecommons.core.permissions import actor_for_user
    from safecommons.core.roles import Role

    actor = actor_for_user(people[Role.AGENCY_ADMIN])
    entry = audit_record(action="test.read", actor=actor, target=agency, reason="case 24-001")
    assert entry.actor_label == people[Role.AGENCY_ADMIN].email
    assert entry.role == Role.AGENCY_ADMIN
    assert entry.organisation_id == agency.pk
    assert (entry.object_type, entry.object_id) == ("partners.organisation", str(agency.pk))
