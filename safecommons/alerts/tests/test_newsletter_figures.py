"""The figures an issue freezes: counted again here from the records the test makes, for the period, the one
before and the same one last year; small counts withheld as on the public pages; sensitive offenses only as
the public map's monthly cells; the safety tip rotation, the officer and the hidden events section."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from safecommons.alerts.models import Newsletter, SafetyTip
from safecommons.alerts.selectors import newsletters as selectors
from safecommons.alerts.services.newsletters import newsletter_message, newsletter_prepare
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata.models import CrimeRecord
from safecommons.crimedata.selectors import trends
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.models import AreaKind, OfficerAssignment
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)  # a Wednesday
WEEK = date(2026, 6, 1)  # Monday 1 June … Sunday 7 June
MONTH = date(2026, 5, 1)
LARCENY, BURGLARY, VANDALISM = "23C", "220", "290"


def records(agency, area, code: str, day: date, n: int, **extra) -> None:
    for i in range(n):
        CrimeRecordFactory(agency=agency, neighborhood=area, nibrs_code=code,
                           occurred_at=datetime(day.year, day.month, day.day, 10 + i % 10, 0, tzinfo=TZ), **extra)


def counted(area, group: str, start: date, end: date) -> int:
    """The independent count: the records of the group in the neighborhood between the dates."""
    return CrimeRecord.objects.filter(neighborhood=area, offense_group=group, occurred_date__gte=start,
                                      occurred_date__lte=end).count()


@pytest.fixture
def world(agency, people):
    oak = AreaFactory(agency=agency, name="Oak Hill", lon=-93.30, lat=44.90)
    elm = AreaFactory(agency=agency, name="Elm Park", lon=-93.28, lat=44.90)
    # Oak Hill: larceny 12 this week, 5 the week before, 30 the same week last year.
    records(agency, oak, LARCENY, WEEK + timedelta(days=2), 12)
    records(agency, oak, LARCENY, WEEK - timedelta(days=3), 5)
    records(agency, oak, LARCENY, WEEK - timedelta(days=362), 30)
    # Burglary 4 / 4 / 3: about the same. Vandalism 2 this week: withheld ("fewer than 3").
    records(agency, oak, BURGLARY, WEEK + timedelta(days=1), 4)
    records(agency, oak, BURGLARY, WEEK - timedelta(days=6), 4)
    records(agency, oak, BURGLARY, WEEK - timedelta(days=363), 3)
    records(agency, oak, VANDALISM, WEEK + timedelta(days=4), 2)
    # Elm Park next door, so that the table withheld over every neighborhood has more than one row.
    records(agency, elm, LARCENY, WEEK + timedelta(days=2), 7)
    records(agency, elm, BURGLARY, WEEK, 5)
    records(agency, elm, VANDALISM, WEEK, 6)
    # Outside the week: a day before and after, never counted in it.
    records(agency, oak, LARCENY, WEEK - timedelta(days=8), 1)
    records(agency, oak, LARCENY, WEEK + timedelta(days=7), 1)
    return {"oak": oak, "elm": elm, "liaison": actor_for_user(people[Role.LIAISON])}


def prepare(world, period=Newsletter.Period.WEEKLY, start=WEEK, area=None):
    with time_machine.travel(datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=TZ), tick=False):
        return newsletter_prepare(actor=world["liaison"], area=area or world["oak"], period=period,
                                  period_start=start)


def row(content, group):
    return next(r for r in content["groups"] if r["group"] == group)


def test_weekly_counts_match_an_independent_count_for_the_week_the_week_before_and_last_year(world):
    issue = prepare(world)
    current, prior, year_ago = selectors.newsletter_spans(period="weekly", period_start=WEEK)
    assert (current.start, current.end) == (WEEK, date(2026, 6, 7))
    assert (prior.start, prior.end) == (date(2026, 5, 25), date(2026, 5, 31))
    assert (year_ago.start, year_ago.end) == (date(2025, 6, 2), date(2025, 6, 8))
    larceny = row(issue.content, "larceny")
    assert larceny["current"] == counted(world["oak"], "larceny", current.start, current.end) == 12
    assert larceny["prior"] == counted(world["oak"], "larceny", prior.start, prior.end) == 5
    assert larceny["last_year"] == counted(world["oak"], "larceny", year_ago.start, year_ago.end) == 30
    burglary = row(issue.content, "burglary")
    assert (burglary["current"], burglary["prior"], burglary["last_year"]) == (4, 4, 3)
    assert issue.period_end == date(2026, 6, 7)
    assert issue.state == Newsletter.State.DRAFT


def test_a_small_count_is_withheld_and_the_total_adds_up_only_what_is_shown(world):
    content = prepare(world).content
    assert row(content, "vandalism")["current"] is None  # 2: "fewer than 3"
    assert content["total"]["current"] == 12 + 4
    assert content["total"]["complete"][0] is False


def test_the_cells_are_the_ones_the_public_trends_show_for_the_same_dates(world, agency):
    content = prepare(world).content
    shown = trends.trends_public(agency=agency, start=WEEK, end=WEEK + timedelta(days=6), as_of=TODAY - timedelta(1),
                                 neighborhood_id=world["oak"].pk, today=TODAY)
    [oak] = [a for a in shown.areas if a.area_id == world["oak"].pk]
    assert {r["group"]: r["current"] for r in content["groups"]} == oak.counts


def test_changes_are_put_in_words_only_when_they_are_not_chance(world):
    content = prepare(world).content
    assert row(content, "burglary")["change_prior"] == "same"  # 4 against 4
    assert row(content, "burglary")["change_last_year"] == "same"  # 4 against 3: too few to say anything
    assert row(content, "larceny")["change_last_year"] == "down"  # 12 against 30
    assert row(content, "larceny")["change_prior"] == "same"  # 12 against 5: 17 records, not enough to call
    assert row(content, "vandalism")["change_prior"] == ""  # withheld: no words at all


def test_top_offense_types_are_the_largest_counts_shown(world):
    content = prepare(world).content
    assert [t["group"] for t in content["top"]] == ["larceny", "burglary"]


def test_a_weekly_issue_never_itemises_sensitive_offenses(world, agency):
    records(agency, world["oak"], "11A", WEEK + timedelta(days=1), 5)  # rape: sex offense
    records(agency, world["oak"], "13B", WEEK + timedelta(days=1), 4, domestic=True)  # domestic violence
    issue = prepare(world)
    groups = {r["group"] for r in issue.content["groups"]} | {r["group"] for r in issue.content["area_groups"]}
    assert "sex_offense" not in groups and "domestic_violence" not in groups
    assert issue.content["area_groups_left_out"] is True
    text = newsletter_message(issue, "en").text
    assert "Sex offense" not in text and "Domestic violence" not in text
    assert "only as monthly counts" in text


def test_a_monthly_issue_gives_sensitive_offenses_only_as_the_public_monthly_cells(world, agency):
    records(agency, world["oak"], "11A", date(2026, 5, 12), 4)
    records(agency, world["elm"], "11A", date(2026, 5, 14), 5)
    records(agency, world["oak"], "11A", date(2026, 4, 3), 1)
    issue = prepare(world, period=Newsletter.Period.MONTHLY, start=MONTH)
    sex = next(r for r in issue.content["area_groups"] if r["group"] == "sex_offense")
    assert (sex["current"], sex["prior"], sex["last_year"]) == (4, None, None)  # 1 and 0: "fewer than 3"
    assert "sex_offense" not in {r["group"] for r in issue.content["groups"]}
    assert "fewer than 3" in newsletter_message(issue, "en").text


def test_a_monthly_issue_is_a_calendar_month_against_the_month_before_and_last_year(world):
    current, prior, year_ago = selectors.newsletter_spans(period="monthly", period_start=date(2026, 3, 1))
    assert (current.end, prior.start, prior.end) == (date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28))
    assert (year_ago.start, year_ago.end) == (date(2025, 3, 1), date(2025, 3, 31))
    january = selectors.newsletter_spans(period="monthly", period_start=date(2026, 1, 1))
    assert january[1].start == date(2025, 12, 1)


@pytest.mark.parametrize(("period", "start", "message"), [
    ("weekly", date(2026, 6, 2), "Monday"),
    ("monthly", date(2026, 5, 2), "first day"),
    ("weekly", date(2026, 6, 8), "ended"),
    ("monthly", date(2026, 6, 1), "ended"),
    ("daily", WEEK, "weekly or monthly"),
])
def test_a_period_that_is_not_whole_or_not_over_is_refused_with_a_reason(world, period, start, message):
    with pytest.raises(Refused, match=message):
        prepare(world, period=period, start=start)


def test_only_neighborhoods_get_newsletters(world, agency):
    beat = AreaFactory(agency=agency, kind=AreaKind.BEAT)
    with pytest.raises(Refused, match="neighborhoods"):
        prepare(world, area=beat)


def test_preparing_a_draft_again_refreshes_it_and_an_approved_issue_is_frozen(world, agency):
    issue = prepare(world)
    records(agency, world["oak"], LARCENY, WEEK + timedelta(days=3), 3)
    again = prepare(world)
    assert again.pk == issue.pk and row(again.content, "larceny")["current"] == 15
    Newsletter.objects.filter(pk=issue.pk).update(state=Newsletter.State.APPROVED)
    with pytest.raises(Refused, match="approved"):
        prepare(world)


def test_safety_tips_rotate_least_recently_used_first_per_language(world, agency):
    first = SafetyTip.objects.create(agency=agency, language="en", title="Lock your car", body="Always.")
    second = SafetyTip.objects.create(agency=agency, language="en", title="Light your porch", body="At night.")
    SafetyTip.objects.create(agency=agency, language="en", title="Retired", body="Old.", active=False)
    spanish = SafetyTip.objects.create(agency=agency, language="es", title="Cierre su auto", body="Siempre.")
    a = prepare(world, start=WEEK)
    b = prepare(world, start=WEEK - timedelta(days=7))
    c = prepare(world, start=WEEK - timedelta(days=14))
    assert [x.content["tips"]["en"]["id"] for x in (a, b, c)] == [first.pk, second.pk, first.pk]
    assert a.content["tips"]["es"]["id"] == spanish.pk and a.safety_tip_id == first.pk
    assert prepare(world, start=WEEK).content["tips"]["en"]["id"] == first.pk  # a refreshed draft keeps its tip
    assert "Light your porch" in newsletter_message(b, "en").text
    assert "Cierre su auto" in newsletter_message(a, "es").text


def test_the_neighborhood_officer_on_the_last_day_is_shown_with_only_the_published_contact(world, people):
    officer = people[Role.OFFICER]
    officer.display_name = "Officer Dana Reyes"
    officer.save()
    OfficerAssignment.objects.create(area=world["oak"], officer=officer, duty="neighborhood_officer",
                                     public_phone="+1 555 0100", public_email="reyes@police.example",
                                     starts_on=date(2026, 1, 1))
    OfficerAssignment.objects.create(area=world["oak"], officer=people[Role.SUPERVISOR], duty="neighborhood_officer",
                                     starts_on=date(2025, 1, 1), ends_on=date(2026, 5, 31))
    issue = prepare(world)
    assert issue.content["officers"] == [{"name": "Officer Dana Reyes", "phone": "+1 555 0100",
                                          "email": "reyes@police.example", "shift": ""}]
    message = newsletter_message(issue, "en")
    assert "Officer Dana Reyes" in message.text and "reyes@police.example" in message.html
    assert officer.email not in message.text


def test_the_events_section_is_hidden_while_there_are_none(world):
    issue = prepare(world)
    assert issue.content["events"] == []
    message = newsletter_message(issue, "en")
    assert "Upcoming events" not in message.html and "UPCOMING EVENTS" not in message.text
    issue.content["events"] = [{"title": "Block party", "starts": "2026-06-20 16:00", "place": "Oak Park"}]
    assert "Block party" in newsletter_message(issue, "en").html


def test_the_email_lists_groups_withheld_everywhere_once_and_calls_a_partial_total_a_lower_bound(world):
    text = newsletter_message(prepare(world), "en").text
    assert "Fewer than 3 in each period: Homicide, Assault" in text
    assert "- Homicide:" not in text  # no line of nothing but "fewer than"
    assert "Vandalism" in text.split("Fewer than 3 in each period:")[1].split("\n")[0]  # 2, 0 and 0: withheld
    assert "All shown: at least 16" in text


def test_changes_read_as_whole_phrases(world):
    text = newsletter_message(prepare(world), "en").text
    assert "Larceny / theft: 12 (before: 5; last year: 30). about the same as the period before; lower than last year" \
        in text
