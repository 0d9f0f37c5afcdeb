"""How each offense group is published: set by the agency's admins only, sensitive groups never at a point,
every change audited; and who may use each public crime-map endpoint, as the access table says."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.core.tests.test_access_matrix import ACCESS, EVERYONE, assert_access, call, client_of
from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.publication import SENSITIVE_GROUPS, policy_for
from safecommons.crimedata.selectors.public import publication_settings
from safecommons.crimedata.services.publication import GroupChoice, publication_rules_set
from safecommons.crimedata.tests.test_public_api import PERIOD, build_world
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
__all__ = ["client_of"]  # the fixture, used by name

OURS = ("/api/crime/public/", "/crime/map/", "/crime/publication/")
CRIME_MAP_ENDPOINTS = [endpoint for endpoint in ACCESS if endpoint.split(" ", 1)[1].startswith(OURS)]


def admin_actor(people):
    return actor_for_user(people[Role.AGENCY_ADMIN])


# --- The service


def test_an_agency_admin_sets_a_group_to_area_counts_and_the_change_is_audited(people, agency):
    changes = publication_rules_set(actor=admin_actor(people), agency=agency,
                                    choices={"burglary": GroupChoice(display="area", min_count=4),
                                             "larceny": GroupChoice(display="point", min_count=3)})
    assert changes == {"burglary": {"display": ["point", "area"], "min_count": [3, 4]}}  # larceny: unchanged
    rule = PublicationRule.objects.get(agency=agency)
    assert (rule.offense_group, rule.display, rule.min_count, rule.updated_by) == (
        "burglary", "area", 4, people[Role.AGENCY_ADMIN])
    assert policy_for(agency_id=agency.pk).display["burglary"] == "area"
    entry = AuditEntry.objects.get(action="crime.publication_set")
    assert entry.organisation_id == agency.pk and entry.details["changes"]["burglary"]["display"] == ["point", "area"]


def test_saving_without_a_change_writes_nothing_and_audits_nothing(people, agency):
    assert publication_rules_set(actor=admin_actor(people), agency=agency,
                                 choices={"larceny": GroupChoice(display="point", min_count=3)}) == {}
    assert not PublicationRule.objects.exists()
    assert not AuditEntry.objects.filter(action="crime.publication_set").exists()


@pytest.mark.parametrize("group", sorted(SENSITIVE_GROUPS))
def test_a_sensitive_group_can_never_be_set_to_a_point(people, agency, group):
    with pytest.raises(Refused, match="can never be shown at a point"):
        publication_rules_set(actor=admin_actor(people), agency=agency,
                              choices={"larceny": GroupChoice(display="area", min_count=3),
                                       group: GroupChoice(display="point", min_count=3)})
    assert not PublicationRule.objects.exists()  # the whole change refused, the allowed part too


def test_a_sensitive_group_keeps_its_smallest_count_at_three_or_more(people, agency):
    with pytest.raises(Refused, match="at least 3"):
        publication_rules_set(actor=admin_actor(people), agency=agency,
                              choices={"sex_offense": GroupChoice(display="area", min_count=1)})
    publication_rules_set(actor=admin_actor(people), agency=agency,
                          choices={"sex_offense": GroupChoice(display="hidden", min_count=10)})
    assert policy_for(agency_id=agency.pk).display["sex_offense"] == "hidden"


def test_unclassified_offenses_cannot_be_published(people, agency):
    with pytest.raises(Refused, match="never published"):
        publication_rules_set(actor=admin_actor(people), agency=agency,
                              choices={"unclassified": GroupChoice(display="area", min_count=3)})


@pytest.mark.parametrize("role", [role for role in Role if role != Role.AGENCY_ADMIN])
def test_every_other_role_is_refused_the_service(people, agency, role):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        publication_rules_set(actor=actor_for_user(people[role]), agency=agency,
                              choices={"burglary": GroupChoice(display="hidden", min_count=3)})
    assert not PublicationRule.objects.exists()


def test_the_admin_of_another_agency_is_refused(people, agency):
    from django.core.exceptions import PermissionDenied

    other = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere Police")
    with pytest.raises(PermissionDenied):
        publication_rules_set(actor=admin_actor(people), agency=other,
                              choices={"burglary": GroupChoice(display="hidden", min_count=3)})


# --- The page


def form_data(agency, **overrides) -> dict:
    settings = publication_settings(actor=_admin_of(agency), agency=agency)
    data = {"agency": agency.pk}
    for s in settings:
        data[f"display_{s.offense_group}"] = s.display
        data[f"min_count_{s.offense_group}"] = s.min_count
    data.update(overrides)
    return data


def _admin_of(agency):
    from safecommons.accounts.models import Membership

    return actor_for_user(Membership.objects.get(organisation=agency, role=Role.AGENCY_ADMIN).user)


def test_the_page_lists_every_group_but_the_unclassified_and_saves_a_change(client_for, people, agency):
    client = client_for(people[Role.AGENCY_ADMIN])
    page = client.get(reverse("crimedata:publication"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="display_sex_offense"' in text and "display_unclassified" not in text
    # The point choice of a sensitive group is offered disabled.
    sex_select = text.split('name="display_sex_offense"')[1].split("</select>")[0]
    assert 'value="point" disabled' in sex_select
    response = client.post(reverse("crimedata:publication"), form_data(agency, display_vandalism="hidden"))
    assert response.status_code == 302
    assert policy_for(agency_id=agency.pk).display["vandalism"] == "hidden"


def test_the_page_refuses_a_sensitive_group_at_a_point_with_a_clear_message(client_for, people, agency):
    client = client_for(people[Role.AGENCY_ADMIN])
    response = client.post(reverse("crimedata:publication"),
                           form_data(agency, display_domestic_violence="point", display_vandalism="hidden"))
    assert response.status_code == 400
    assert "Domestic violence can never be shown at a point on the public map" in response.content.decode()
    assert not PublicationRule.objects.exists()


def test_the_map_follows_the_settings_made_on_the_page(client, client_for, people, agency):
    build_world(agency)
    admin = client_for(people[Role.AGENCY_ADMIN])
    admin.post(reverse("crimedata:publication"),
               form_data(agency, display_larceny="area", display_sex_offense="hidden"))
    points = client.get("/api/crime/public/points", PERIOD).json()["features"]
    groups = {f["properties"]["offense_group"] for f in points}
    assert groups == {"burglary", "assault"}
    areas = client.get("/api/crime/public/areas", PERIOD).json()["areas"]
    counted = {c["offense_group"] for c in areas[0]["counts"]}
    assert "larceny" in counted and "sex_offense" not in counted


# --- Who may use each endpoint, as the access table says


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", CRIME_MAP_ENDPOINTS)
def test_each_crime_map_endpoint_answers_as_the_access_table_says(client_of, people, agency, who, endpoint):
    build_world(agency)
    data = dict(PERIOD)
    if endpoint == "POST /crime/publication/":
        data = form_data(agency, display_vandalism="hidden")
    response = call(client_of(who), endpoint, data=data)
    assert_access(response, endpoint, who)
    if endpoint == "POST /crime/publication/":
        assert PublicationRule.objects.filter(offense_group="vandalism").exists() == (who in ACCESS[endpoint])


def test_the_page_reports_every_fields_error_at_once_and_saves_nothing(client_for, people, agency):
    client = client_for(people[Role.AGENCY_ADMIN])
    response = client.post(reverse("crimedata:publication"), form_data(
        agency, display_domestic_violence="point", min_count_sex_offense="1", min_count_burglary="many",
        min_count_vandalism="80", display_larceny="hidden"))
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved: 4 problems, shown below." in text
    for group, message in [
            ("domestic_violence", "Domestic violence can never be shown at a point on the public map"),
            ("sex_offense", "For Sex offense, counts below 3 are always withheld"),
            ("burglary", "Give the smallest count shown as a whole number."),
            ("vandalism", "The smallest count shown for Vandalism must be from 1 to 50.")]:
        at_field = text.split(f'id="error_{group}">')[1].split("</p>")[0]
        assert message in at_field, group
        assert f'href="#display_{group}">{message}' in text  # in the summary, linked to its field
        assert f'aria-describedby="error_{group}"' in text
    assert 'id="error_larceny"' not in text
    assert not PublicationRule.objects.exists()


def test_the_saved_message_counts_in_the_singular_and_the_plural(client_for, people, agency):
    client = client_for(people[Role.AGENCY_ADMIN])
    one = client.post(reverse("crimedata:publication"), form_data(agency, display_vandalism="hidden"), follow=True)
    assert "Saved: 1 offense group changed." in one.content.decode()
    two = client.post(reverse("crimedata:publication"),
                      form_data(agency, display_vandalism="point", display_larceny="area"), follow=True)
    assert "Saved: 2 offense groups changed." in two.content.decode()


def test_the_menu_links_the_settings_for_agency_admins_only(client_for, people, agency):
    link = f'href="{reverse("crimedata:publication")}"'
    assert link in client_for(people[Role.AGENCY_ADMIN]).get(reverse("crimedata:map")).content.decode()
    for role in (Role.ANALYST, Role.OFFICER, Role.SUPERVISOR):
        assert link not in client_for(people[role]).get(reverse("crimedata:map")).content.decode(), role
