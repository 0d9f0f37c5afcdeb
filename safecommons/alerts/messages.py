"""What a delivery says, whatever carries it: the same words as an email (text and HTML), a push, an SMS
or a webhook. Alerts are rendered here (`alert_message`); newsletters by `services.newsletters`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    subject: str  # email subject, push title
    text: str  # plain-text email body
    html: str  # HTML email body
    short: str  # SMS, push body, social-media post: at most 280 characters, link included
    url: str  # the public page (absolute), where one exists


SHORT_LIMIT = 280


def public_url(alert, language: str = "") -> str:
    """The absolute address of an alert's public page; in a message to a reader of another language than
    the site's default, the page is asked for in theirs (`?lang=`)."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse("alerts:public_detail", args=[alert.identifier])
    except NoReverseMatch:  # the public pages not mounted (a trimmed URL configuration)
        path = f"/alerts/{alert.identifier}/"
    if language and language != settings.LANGUAGE_CODE:
        path += f"?lang={language}"
    return f"{settings.SITE_URL}{path}"


def cap_url(alert) -> str:
    """The absolute address of an alert's CAP 1.2 XML."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse("alerts:public_cap", args=[alert.identifier])
    except NoReverseMatch:
        path = f"/alerts/{alert.identifier}/cap.xml"
    return f"{settings.SITE_URL}{path}"


def drill_prefix(alert) -> str:
    """"DRILL — " for an exercise, "TEST — " for a test, nothing for a real alert (in the active language)."""
    from django.utils.translation import gettext

    from safecommons.alerts.models import Alert

    if alert.cap_status == Alert.CapStatus.EXERCISE:
        return gettext("DRILL") + " — "
    if alert.cap_status == Alert.CapStatus.TEST:
        return gettext("TEST") + " — "
    return ""


def _fit(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 1, 0)].rstrip() + "…"


def alert_info_for(alert, language: str):
    """The alert's words in `language`, else in English, else in whatever language it has."""
    infos = {info.language: info for info in alert.infos.all()}
    return infos.get(language) or infos.get("en") or next(iter(infos.values()), None)


def alert_message(alert, language: str) -> Message:
    """What an alert says in one language, on every channel: subject, plain text and HTML email bodies,
    and a short text (SMS, push, social media) of at most 280 characters with the public page's link."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language):
        info = alert_info_for(alert, language)
        prefix = drill_prefix(alert)
        # A drill or test has no public page (it never reaches the public): its messages carry no link.
        url = "" if alert.is_drill else public_url(alert, language)
        headline = info.headline if info else alert.event
        # A cancellation's headline already starts "Cancelled: " (services/alerts.py alert_cancel); staff
        # often start an update's headline with "Update:" themselves.
        update = {"Update": translation.gettext("Update: ")}.get(alert.msg_type, "")
        if update and headline.casefold().startswith(update.strip().casefold()):
            update = ""
        subject = f"{prefix}{update}{headline}"
        context = {"alert": alert, "info": info, "prefix": prefix, "subject": subject, "url": url,
                   "headline": headline, "platform_name": settings.PLATFORM_NAME, "language": language}
        text = render_to_string("alerts/email/alert.txt", context)
        html = render_to_string("alerts/email/alert.html", context)
        short = f"{_fit(subject, SHORT_LIMIT - len(url) - 1)} {url}" if url else _fit(subject, SHORT_LIMIT)
    return Message(subject=subject, text=text, html=html, short=short, url=url)
