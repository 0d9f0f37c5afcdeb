"""A read compiled once answers as the ORM would, on SQLite and PostgreSQL alike, and goes back to the ORM
for whatever it cannot bind for certain."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safecommons.accounts.models import Membership
from safecommons.accounts.tests.factories import UserFactory
from safecommons.core import permissions
from safecommons.core.compiled import CompiledRead
from safecommons.core.roles import Role
from safecommons.partners import selectors as partner_selectors
from safecommons.partners.models import Agreement, AgreementGrant, Organisation, OrganisationKind, Scope
from safecommons.partners.tests.factories import OrganisationFactory, agreement_between

pytestmark = pytest.mark.django_db


def grant_asked_of_the_orm(provider, recipient, scope=Scope.ALARM_EVENTS) -> bool:
    return AgreementGrant.objects.filter(scope=scope, provider=provider, recipient=recipient).in_force().exists()


def organisations_named(name, kind):
    return Organisation.objects.filter(name=name, kind=kind).values_list("pk", "slug")


ORGANISATIONS_NAMED = ({"name": "(stand-in one)", "kind": "(kind one)"},
                       {"name": "(stand-in two)", "kind": "(kind two)"})


def test_the_agreement_check_is_compiled_and_answers_as_the_orm_on_every_day_of_an_agreement():
    company = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY)
    agency = OrganisationFactory(kind=OrganisationKind.AGENCY)
    agreement = agreement_between(company, agency, Scope.ALARM_EVENTS, effective_from=datetime.date(2026, 3, 1),
                                  expires_on=datetime.date(2026, 3, 31))
    answers = []
    for day in (datetime.date(2026, 2, 28), datetime.date(2026, 3, 1), datetime.date(2026, 3, 31),
                datetime.date(2026, 4, 1)):
        noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())
        with time_machine.travel(noon, tick=False):
            compiled = partner_selectors.grant_exists(scope=Scope.ALARM_EVENTS, provider_id=company.pk,
                                                      recipient_id=agency.pk)
            assert compiled == grant_asked_of_the_orm(company, agency)
            answers.append(compiled)
    assert answers == [False, True, True, False]
    assert partner_selectors._GRANT_IN_FORCE._compiled["exists"] is not None  # bound, not sent back to the ORM

    with time_machine.travel(datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC), tick=False):
        assert not partner_selectors.grant_exists(scope=Scope.ALARM_EVENTS, provider_id=agency.pk,
                                                  recipient_id=company.pk)  # one way only
        assert not partner_selectors.grant_exists(scope=Scope.TIP_REFERRALS, provider_id=company.pk,
                                                  recipient_id=agency.pk)
        Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.TERMINATED)
        assert not partner_selectors.grant_exists(scope=Scope.ALARM_EVENTS, provider_id=company.pk,
                                                  recipient_id=agency.pk)


def test_an_actors_memberships_are_compiled_and_leave_out_ended_ones():
    person = UserFactory()
    company = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Watchful")
    agency = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Riverton PD")
    Membership.objects.create(user=person, organisation=company, role=Role.SECURITY_OPERATOR)
    Membership.objects.create(user=person, organisation=agency, role=Role.OFFICER, ended_at=timezone.now())

    actor = permissions.actor_for_user(person)

    assert [(m.organisation_id, m.organisation_name, m.organisation_kind, m.role) for m in actor.memberships] == [
        (company.pk, "Watchful", OrganisationKind.SECURITY_COMPANY, Role.SECURITY_OPERATOR)]
    assert permissions._MEMBERSHIPS._compiled["rows"] is not None


def test_a_compiled_read_is_one_query_through_djangos_cursor():
    OrganisationFactory(name="North", kind=OrganisationKind.AGENCY)
    read = CompiledRead(organisations_named, stand_ins=ORGANISATIONS_NAMED)
    read.rows(name="North", kind=OrganisationKind.AGENCY.value)  # compiled here

    with CaptureQueriesContext(connection) as queries:
        rows = read.rows(name="North", kind=OrganisationKind.AGENCY.value)

    assert rows == list(organisations_named("North", OrganisationKind.AGENCY))
    assert len(rows) == 1 and len(queries) == 1


def test_values_of_another_type_go_through_the_orm():
    OrganisationFactory(name="North", kind=OrganisationKind.AGENCY)
    read = CompiledRead(organisations_named, stand_ins=ORGANISATIONS_NAMED)

    assert read.rows(name=None, kind=OrganisationKind.AGENCY.value) == []  # IS NULL, which the SQL compiled for
    assert read._compiled == {}  # text has not been compiled
    assert len(read.rows(name="North", kind=OrganisationKind.AGENCY.value)) == 1
    assert read.rows(name="North", kind="school") == []


def test_a_query_whose_sql_depends_on_the_values_is_not_compiled_and_still_answers():
    OrganisationFactory.create_batch(3, kind=OrganisationKind.AGENCY)

    def first(count):  # the slice is written into the SQL, not bound
        return Organisation.objects.order_by("pk").values_list("pk")[:count]

    read = CompiledRead(first, stand_ins=({"count": 1}, {"count": 2}))

    assert len(read.rows(count=2)) == 2
    assert len(read.rows(count=3)) == 3
    assert read._compiled["rows"] is None


def test_a_value_the_query_does_not_use_is_not_compiled():
    OrganisationFactory(name="North", kind=OrganisationKind.AGENCY)
    read = CompiledRead(lambda name, unused: Organisation.objects.filter(name=name),
                        stand_ins=({"name": "(one)", "unused": 1}, {"name": "(two)", "unused": 2}))

    assert read.exists(name="North", unused=5)
    assert not read.exists(name="South", unused=5)
    assert read._compiled["exists"] is None


def test_columns_the_database_returns_in_another_form_are_read_by_the_orm():
    organisation = OrganisationFactory(name="North", kind=OrganisationKind.AGENCY)
    read = CompiledRead(lambda name: Organisation.objects.filter(name=name).values_list("created_at"),
                        stand_ins=({"name": "(one)"}, {"name": "(two)"}))

    rows = read.rows(name="North")

    assert rows == [(organisation.created_at,)]
    assert isinstance(rows[0][0], datetime.datetime)
    # SQLite returns text that Django converts, so the ORM reads it; PostgreSQL returns datetimes
    assert (read._compiled["rows"] is None) == (connection.vendor == "sqlite")


def test_stand_ins_must_differ():
    with pytest.raises(ValueError):
        CompiledRead(organisations_named, stand_ins=({"name": "x", "kind": "a"}, {"name": "x", "kind": "b"}))
    with pytest.raises(ValueError):
        CompiledRead(organisations_named, stand_ins=({"name": "x", "kind": "a"}, {"name": "y"}))


def test_first_makes_the_instance_the_orm_would_with_every_column_converted():
    organisation = OrganisationFactory(name="North", kind=OrganisationKind.AGENCY, is_listed=False)
    read = CompiledRead(lambda slug: Organisation.objects.filter(slug=slug),
                        stand_ins=({"slug": "(one)"}, {"slug": "(two)"}))

    found = read.first(slug=organisation.slug)
    by_orm = Organisation.objects.get(pk=organisation.pk)

    assert read._compiled["first"] is not None
    assert found is not None and found.pk == organisation.pk and found._state.db == "default"
    assert not found._state.adding
    for model_field in Organisation._meta.concrete_fields:
        assert getattr(found, model_field.attname) == getattr(by_orm, model_field.attname), model_field.name
    assert isinstance(found.created_at, datetime.datetime) and found.created_at.tzinfo is not None
    assert read.first(slug="nobody") is None


def test_first_with_related_rows_goes_through_the_orm():
    person = UserFactory()
    organisation = OrganisationFactory(name="North", kind=OrganisationKind.AGENCY)
    membership = Membership.objects.create(user=person, organisation=organisation, role=Role.OFFICER)
    read = CompiledRead(lambda user_id: Membership.objects.select_related("organisation").filter(user_id=user_id),
                        stand_ins=({"user_id": -1}, {"user_id": -2}))

    found = read.first(user_id=person.pk)

    assert found == membership and found.organisation.name == "North"
    assert read._compiled["first"] is None


def test_a_builder_that_decides_on_the_value_is_not_compiled():
    low, high = OrganisationFactory.create_batch(2, kind=OrganisationKind.AGENCY)

    def around(pk):  # what a builder must not do: the stand-ins of both signs make the SQL differ
        return Organisation.objects.filter(pk__gt=-pk) if pk < 0 else Organisation.objects.filter(pk__lt=pk)

    read = CompiledRead(around, stand_ins=({"pk": -11}, {"pk": 22}, {"pk": 30_000_001}))

    assert read.exists(pk=high.pk) and not read.exists(pk=low.pk)
    assert read._compiled["exists"] is None


def test_an_integer_no_column_holds_goes_through_the_orm():
    read = CompiledRead(lambda pk: Organisation.objects.filter(pk=pk), stand_ins=({"pk": -11}, {"pk": 22}))

    assert read.first(pk=2**63) is None and not read.exists(pk=-(2**70))
    assert read._compiled == {}


def test_rows_other_than_tuples_of_the_selected_columns_go_through_the_orm():
    OrganisationFactory(name="North", kind=OrganisationKind.AGENCY)
    OrganisationFactory(name="South", kind=OrganisationKind.AGENCY)
    flat = CompiledRead(lambda kind: Organisation.objects.filter(kind=kind).order_by("name").values_list(
        "name", flat=True), stand_ins=({"kind": "(one)"}, {"kind": "(two)"}))
    ordered_elsewhere = CompiledRead(lambda kind: Organisation.objects.filter(kind=kind).order_by("name").distinct()
                                     .values_list("kind"), stand_ins=({"kind": "(one)"}, {"kind": "(two)"}))

    assert flat.rows(kind="agency") == ["North", "South"]
    assert ordered_elsewhere.rows(kind="agency") == list(
        Organisation.objects.filter(kind="agency").order_by("name").distinct().values_list("kind"))
    assert flat._compiled["rows"] is None and ordered_elsewhere._compiled["rows"] is None


def test_a_query_that_fails_to_compile_is_answered_by_the_orm_every_time():
    OrganisationFactory(name="North", kind=OrganisationKind.AGENCY)
    read = CompiledRead(lambda name: Organisation.objects.filter(name=name).none(),
                        stand_ins=({"name": "(one)"}, {"name": "(two)"}))

    assert not read.exists(name="North") and not read.exists(name="North")
    assert read._compiled["exists"] is None


def test_first_follows_the_models_ordering_as_queryset_first_does():
    person = UserFactory()
    for name in ("Zeta", "Alpha", "Mid"):
        Membership.objects.create(user=person, role=Role.OFFICER,
                                  organisation=OrganisationFactory(name=name, kind=OrganisationKind.AGENCY))
    read = CompiledRead(lambda user_id: Membership.objects.filter(user_id=user_id),
                        stand_ins=({"user_id": -1}, {"user_id": 2}))
    by_name = CompiledRead(lambda user_id: Membership.objects.filter(user_id=user_id).order_by("-role", "-pk"),
                           stand_ins=({"user_id": -1}, {"user_id": 2}))

    assert read.first(user_id=person.pk) == Membership.objects.filter(user_id=person.pk).first()
    assert by_name.first(user_id=person.pk) == Membership.objects.filter(user_id=person.pk).order_by(
        "-role", "-pk").first()
    assert by_name._compiled["first"] is not None
