"""Newsletters: prepare an issue for a neighborhood and a period (its figures frozen in `content`), approve and
send it, render it for every channel; and the safety tips an agency rotates through its issues.

What an issue holds (`content`, docs/newsletters.md): the public figures (`selectors.newsletters`), one safety
tip per language, the neighborhood officers with their published work contact, and `events` (kept empty: the
platform has no events yet; the section is hidden when there are none). A draft can be prepared again and is
then refreshed; an approved or sent issue never changes.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from safecommons.alerts.links import absolute
from safecommons.alerts.messages import Message
from safecommons.alerts.models import Newsletter, SafetyTip
from safecommons.alerts.selectors import newsletters as selectors
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.partners.models import Organisation
from safecommons.places.models import Area, AreaKind

CONTENT_VERSION = 1
SHORT_LIMIT = 280


# --- Preparing


def _check_period(*, period: str, period_start: date, today: date) -> None:
    if period not in Newsletter.Period.values:
        raise Refused(_("Choose weekly or monthly."))
    if period == Newsletter.Period.WEEKLY and period_start.weekday() != 0:
        raise Refused(_("A weekly newsletter starts on a Monday."))
    if period == Newsletter.Period.MONTHLY and period_start.day != 1:
        raise Refused(_("A monthly newsletter starts on the first day of a month."))
    current, _prior, _year_ago = selectors.newsletter_spans(period=period, period_start=period_start)
    if current.end >= today:
        raise Refused(_("A newsletter covers a period that has ended; this one ends on %(end)s.")
                      % {"end": current.end.isoformat()})


def _tips(agency: Organisation, newsletter: Newsletter | None) -> dict[str, dict]:
    """One tip per language: the draft's own while still active, else the least recently used."""
    kept = (newsletter.content.get("tips") or {}) if newsletter is not None else {}
    tips = {}
    for language, _name in settings.LANGUAGES:
        tip = None
        if language in kept:
            tip = SafetyTip.objects.filter(pk=kept[language].get("id"), agency=agency, active=True).first()
        if tip is None:
            tip = selectors.safety_tip_next(agency=agency, language=language,
                                            exclude_newsletter_id=newsletter.pk if newsletter else None)
        if tip is not None:
            tips[language] = {"id": tip.pk, "title": tip.title, "body": tip.body}
    return tips


def _content(*, agency: Organisation, area: Area, period: str, period_start: date, today: date,
             newsletter: Newsletter | None) -> dict:
    figures = selectors.newsletter_figures(agency=agency, area=area, period=period, period_start=period_start,
                                           today=today)
    current_end = date.fromisoformat(figures["current"]["end"])
    return {
        "version": CONTENT_VERSION,
        "agency": {"id": agency.pk, "name": agency.name},
        "area": {"id": area.pk, "name": area.name},
        **figures,
        "tips": _tips(agency, newsletter),
        "officers": selectors.newsletter_officers(area=area, on=current_end),
        # Upcoming events and meetings: none yet, as the platform has no events (docs/newsletters.md).
        "events": [],
        "prepared_on": today.isoformat(),
    }


def _tip_row(agency: Organisation, content: dict) -> SafetyTip | None:
    tip = (content.get("tips") or {}).get(settings.LANGUAGE_CODE) or next(iter((content.get("tips") or {})
                                                                                .values()), None)
    return SafetyTip.objects.filter(pk=tip["id"], agency=agency).first() if tip else None


def _prepare(*, area: Area, period: str, period_start: date, today: date, prepared_by_id: int | None,
             refresh: bool) -> tuple[Newsletter, bool]:
    """(the issue, whether it was written). A draft is refreshed when `refresh`; a frozen issue is refused."""
    if area.kind != AreaKind.NEIGHBORHOOD:
        raise Refused(_("Newsletters are written for neighborhoods."))
    _check_period(period=period, period_start=period_start, today=today)
    agency = area.agency
    with transaction.atomic():
        newsletter = (Newsletter.objects.select_for_update()
                      .filter(area=area, period=period, period_start=period_start).first())
        if newsletter is not None and not refresh:
            return newsletter, False
        if newsletter is not None and newsletter.state != Newsletter.State.DRAFT:
            raise Refused(_("This issue was approved; it can no longer change."))
        content = _content(agency=agency, area=area, period=period, period_start=period_start, today=today,
                           newsletter=newsletter)
        fields = {"agency": agency, "period_end": date.fromisoformat(content["current"]["end"]),
                  "content": content, "safety_tip": _tip_row(agency, content), "prepared_by_id": prepared_by_id}
        if newsletter is None:
            try:
                with transaction.atomic():
                    newsletter = Newsletter.objects.create(area=area, period=period, period_start=period_start,
                                                           **fields)
            except IntegrityError:  # prepared at the same moment by someone else (or the schedule)
                return Newsletter.objects.get(area=area, period=period, period_start=period_start), False
            return newsletter, True
        for name, value in fields.items():
            setattr(newsletter, name, value)
        newsletter.save(update_fields=["agency", "period_end", "content", "safety_tip", "prepared_by",
                                       "updated_at"])
        return newsletter, True


def newsletter_prepare(*, actor: Actor, area: Area, period: str, period_start: date,
                       today: date | None = None) -> Newsletter:
    """Compute and freeze the issue of `area` (a neighborhood) for the week (from a Monday) or month (from the
    1st) starting `period_start`, which must have ended. An existing draft is refreshed; an approved or sent
    issue is Refused. Rule `newsletter.prepare` on the area's agency."""
    require(actor, "newsletter.prepare", area)
    return _prepare(area=area, period=period, period_start=period_start, today=today or timezone.localdate(),
                    prepared_by_id=actor.user_id, refresh=True)[0]


def newsletters_prepare_scheduled(*, today: date | None = None) -> list[int]:
    """The scheduled job: for every agency, the issues of the last week and the last month that have ended for
    each neighborhood with an active newsletter subscription. Idempotent: an issue that exists (draft or not)
    is left as it is. Returns the ids of the issues written."""
    today = today or timezone.localdate()
    written = []
    agencies = Organisation.objects.filter(areas__kind=AreaKind.NEIGHBORHOOD).distinct().order_by("pk")
    for agency in agencies:
        for area in selectors.neighborhoods_with_newsletter_subscribers(agency=agency):
            for period in Newsletter.Period.values:
                start = selectors.last_ended_start(period=period, today=today)
                newsletter, was_written = _prepare(area=area, period=period, period_start=start, today=today,
                                                   prepared_by_id=None, refresh=False)
                if was_written:
                    written.append(newsletter.pk)
    return written


# --- Approving and sending


def newsletter_approve(*, actor: Actor, newsletter: Newsletter) -> Newsletter:
    """Approve a draft and send it: in one transaction it is marked approved and its fan-out is queued
    (`outbox.newsletter_fanout_queue`); the fan-out writes a delivery per subscriber channel and marks the issue
    sent (then it is on the public archive). Rule `newsletter.approve`; audited."""
    from safecommons.alerts.services.outbox import newsletter_fanout_queue

    require(actor, "newsletter.approve", newsletter)
    with transaction.atomic():
        newsletter = Newsletter.objects.select_for_update().select_related("area", "agency").get(pk=newsletter.pk)
        if newsletter.state != Newsletter.State.DRAFT:
            raise Refused(_("Only a draft can be approved; this issue is %(state)s.")
                          % {"state": newsletter.get_state_display()})
        newsletter.state, newsletter.approved_by_id = Newsletter.State.APPROVED, actor.user_id
        newsletter.approved_at = timezone.now()
        newsletter.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
        newsletter_fanout_queue(newsletter=newsletter)
        audit_record(action="newsletter.approve", actor=actor, target=newsletter, organisation=newsletter.agency,
                     details={"area": newsletter.area.name, "period": newsletter.period,
                              "period_start": newsletter.period_start.isoformat()})
    return newsletter


# --- Rendering


def group_label(value: str) -> str:
    try:
        return str(OffenseGroup(value).label)
    except ValueError:
        return value


def _change_text(word: str, against: str) -> str:
    """The change in words, whole phrases so that each language can say it its own way."""
    phrases = {
        (selectors.UP, "prior"): _("higher than the period before"),
        (selectors.DOWN, "prior"): _("lower than the period before"),
        (selectors.SAME, "prior"): _("about the same as the period before"),
        (selectors.UP, "last_year"): _("higher than last year"),
        (selectors.DOWN, "last_year"): _("lower than last year"),
        (selectors.SAME, "last_year"): _("about the same as last year"),
    }
    return phrases.get((word, against), "")


def _count_text(count: int | None, min_count: int) -> str:
    return str(count) if count is not None else _("fewer than %(n)d") % {"n": min_count}


def _total_text(total: int, complete: bool) -> str:
    # Withheld counts are at least 0, so a sum of the counts shown is a lower bound when any is withheld (and
    # says nothing when nothing at all is shown).
    if complete:
        return str(total)
    return _("at least %(n)d") % {"n": total} if total else _("withheld")


def _rows(content_rows: list[dict], monthly: bool = False) -> tuple[list[dict], list[str]]:
    """(the rows with at least one count shown, sentences naming the groups withheld in every period): a row of
    nothing but "fewer than" is said once, in a list, rather than a line each."""
    shown, withheld = [], {}
    for row in content_rows:
        label = group_label(row["group"])
        if row["current"] is None and row["prior"] is None and row["last_year"] is None:
            withheld.setdefault(row["min_count"], []).append(label)
            continue
        shown.append({**row, "label": label,
                      "current_text": _count_text(row["current"], row["min_count"]),
                      "prior_text": _count_text(row["prior"], row["min_count"]),
                      "last_year_text": _count_text(row["last_year"], row["min_count"]),
                      "changes": [text for text in (_change_text(row.get("change_prior", ""), "prior"),
                                                    _change_text(row.get("change_last_year", ""), "last_year"))
                                  if text]})
    sentence = (_("Fewer than %(n)d in each month: %(groups)s.") if monthly
                else _("Fewer than %(n)d in each period: %(groups)s."))
    return shown, [sentence % {"n": n, "groups": ", ".join(labels)} for n, labels in sorted(withheld.items())]


def newsletter_context(newsletter: Newsletter, language: str) -> dict:
    """What the templates read: the frozen content, with labels and words in the active language."""
    content = newsletter.content
    rows, rows_withheld = _rows(content.get("groups", []))
    area_rows, area_rows_withheld = _rows(content.get("area_groups", []), monthly=True)
    total = content.get("total", {})
    complete = total.get("complete") or [True, True, True]
    spans = {key: {name: date.fromisoformat(value) for name, value in content[key].items()}
             for key in ("current", "prior", "last_year") if key in content}
    tips = content.get("tips") or {}
    return {
        "newsletter": newsletter, "content": content, "rows": rows, "rows_withheld": rows_withheld,
        "area_rows": area_rows, "area_rows_withheld": area_rows_withheld,
        "has_groups": bool(content.get("groups")),
        "total": total,
        "total_texts": [_total_text(total.get(key, 0), complete[n])
                        for n, key in enumerate(("current", "prior", "last_year"))],
        "total_changes": [text for text in (_change_text(total.get("change_prior", ""), "prior"),
                                            _change_text(total.get("change_last_year", ""), "last_year")) if text],
        "top": [{"label": group_label(row["group"]), "count": row["count"]} for row in content.get("top", [])],
        "spans": spans, "tip": tips.get(language) or tips.get(settings.LANGUAGE_CODE),
        "officers": content.get("officers", []), "events": content.get("events", []),
        "area_name": content.get("area", {}).get("name", newsletter.area.name),
        "agency_name": content.get("agency", {}).get("name", ""),
        "weekly": newsletter.period == Newsletter.Period.WEEKLY,
        "url": newsletter_url(newsletter), "platform_name": settings.PLATFORM_NAME,
        "trends_url": absolute(reverse("crimedata:trends") + f"?neighborhood={newsletter.area_id}"),
    }


def newsletter_url(newsletter: Newsletter) -> str:
    return absolute(reverse("alerts:newsletter_issue", args=[newsletter.pk]))


def _subject(newsletter: Newsletter, context: dict) -> str:
    start = context["spans"]["current"]["start"]
    if newsletter.period == Newsletter.Period.WEEKLY:
        return _("%(area)s: the week of %(date)s") % {"area": context["area_name"],
                                                       "date": date_format(start, "DATE_FORMAT")}
    return _("%(area)s: %(month)s") % {"area": context["area_name"],
                                       "month": date_format(start, "YEAR_MONTH_FORMAT")}


def _short(subject: str, context: dict) -> str:
    text = _("%(subject)s: %(n)s offenses reported.") % {"subject": subject, "n": context["total_texts"][0]}
    if context["total_changes"]:
        text += " " + _("Overall %(words)s.") % {"words": context["total_changes"][0]}
    url = context["url"]
    room = SHORT_LIMIT - len(url) - 1
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text} {url}"


def newsletter_message(newsletter: Newsletter, language: str) -> Message:
    """The issue as every channel carries it, in `language`: subject, plain-text and HTML email bodies, a short
    text for SMS and push (at most 280 characters, link included), and the archive page's address."""
    with translation.override(language):
        context = newsletter_context(newsletter, language)
        subject = _subject(newsletter, context)
        context["subject"], context["language"] = subject, language
        return Message(subject=subject, text=render_to_string("alerts/email/newsletter.txt", context),
                       html=render_to_string("alerts/email/newsletter.html", context),
                       short=_short(subject, context), url=context["url"])


# --- Safety tips


def safety_tip_save(*, actor: Actor, agency: Organisation, language: str, title: str, body: str,
                    active: bool = True, tip: SafetyTip | None = None) -> SafetyTip:
    """Add a safety tip to the agency's rotation, or change one (`tip`). Rule `newsletter.prepare`."""
    target = tip or agency
    require(actor, "newsletter.prepare", target)
    problems = []
    if language not in dict(settings.LANGUAGES):
        problems.append(_("Choose a language."))
    if not title.strip():
        problems.append(_("Give the tip a title."))
    if not body.strip():
        problems.append(_("Write the tip."))
    if len(title) > 160:
        problems.append(_("Keep the title to 160 characters."))
    if problems:
        raise Refused(" ".join(problems))
    with transaction.atomic():
        if tip is None:
            tip = SafetyTip.objects.create(agency=agency, language=language, title=title.strip(),
                                           body=body.strip(), active=active)
        else:
            tip.language, tip.title, tip.body, tip.active = language, title.strip(), body.strip(), active
            tip.save(update_fields=["language", "title", "body", "active", "updated_at"])
    return tip
