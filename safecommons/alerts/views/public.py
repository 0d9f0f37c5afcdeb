"""Alert pages for everyone: the current alerts (/alerts/), one page per alert in every language with its
short text for social media, its CAP 1.2 message (/alerts/<identifier>.xml) and the Atom feed of current
alerts (/alerts/feed.atom). A drill, a test, a draft or (to the public) a restricted alert is not found."""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from safecommons.alerts.models import Alert
from safecommons.alerts.selectors import alerts as alert_selectors
from safecommons.alerts.services.cap import CAP_CONTENT_TYPE, alert_cap_xml, alert_public_url
from safecommons.core.permissions import actor_for_user
from safecommons.partners.models import Organisation


def current(request):
    agencies = list(alert_selectors.alert_agencies_public())
    agency = next((a for a in agencies if a.slug == request.GET.get("agency")), None)
    language = translation.get_language() or "en"
    alerts = list(alert_selectors.public_alerts_current(agency=agency))
    rows = [{"alert": alert, "info": alert_selectors.alert_info_for(alert, language)} for alert in alerts]
    return render(request, "alerts/alert_list.html", {
        "rows": rows, "agencies": agencies, "agency": agency,
        "map_data": [alert_selectors.alert_map_data(row["alert"], row["info"]) for row in rows],
    })


def detail(request, identifier: str):
    alert = alert_selectors.alert_public_get(actor=actor_for_user(request.user), identifier=identifier)
    asked = request.GET.get("lang", "")
    if asked in dict(settings.LANGUAGES):  # the link in a message speaks the subscriber's language
        translation.activate(asked)
        request.LANGUAGE_CODE = asked
    return render(request, "alerts/alert_detail.html", _detail_context(request, alert))


def _detail_context(request, alert: Alert) -> dict:
    from safecommons.alerts.messages import alert_message

    language = translation.get_language() or "en"
    infos = sorted(alert.infos.all(), key=lambda info: info.language != language)
    shown = infos[0] if infos else None
    return {
        "alert": alert, "infos": infos, "info": shown, "status": alert_selectors.alert_status(alert),
        "chain": alert_selectors.alert_chain(alert), "areas": list(alert.areas.all()),
        "short": alert_message(alert, shown.language if shown else language).short,
        "map_data": [alert_selectors.alert_map_data(alert, shown)],
    }


def cap(request, identifier: str):
    alert = alert_selectors.alert_public_get(actor=actor_for_user(request.user), identifier=identifier)
    response = HttpResponse(alert_cap_xml(alert), content_type=f"{CAP_CONTENT_TYPE}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{alert.identifier}.xml"'
    return response


class CapAtomFeed(Atom1Feed):
    """Atom with each entry's CAP message linked as an alternate of type application/cap+xml."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("link", "", {"rel": "alternate", "type": CAP_CONTENT_TYPE, "href": item["cap_url"]})


class CurrentAlertsFeed(Feed):
    """The current public alerts, and the cancellations of the last day, newest first."""

    feed_type = CapAtomFeed
    title = _("Current community alerts")
    subtitle = _("Public alerts from the police, in CAP 1.2; each entry links its page and its CAP message.")

    def get_object(self, request, *args, **kwargs):
        self.language = translation.get_language() or "en"
        slug = request.GET.get("agency")
        return Organisation.objects.filter(slug=slug).first() if slug else None

    def link(self, agency):
        return reverse("alerts:public_list")

    def items(self, agency):
        return alert_selectors.public_feed_alerts(agency=agency)

    def item_title(self, alert):
        info = alert_selectors.alert_info_for(alert, self.language)
        return info.headline if info else alert.event

    def item_description(self, alert):
        info = alert_selectors.alert_info_for(alert, self.language)
        return info.description if info else ""

    def item_link(self, alert):
        return reverse("alerts:public_detail", args=[alert.identifier])

    def item_guid(self, alert):
        # Atom's <id> must be an IRI (RFC 4287 4.2.6): the alert's absolute public page, built from
        # SITE_URL so that it stays the same whichever host the feed is read through.
        return alert_public_url(alert)

    def item_pubdate(self, alert):
        return alert.sent_at

    def item_updateddate(self, alert):
        return alert.sent_at

    def item_author_name(self, alert):
        return alert.agency.name

    def item_categories(self, alert):
        return [alert.category, alert.msg_type]

    def item_extra_kwargs(self, alert):
        return {"cap_url": self._absolute(reverse("alerts:public_cap", args=[alert.identifier]))}

    def get_feed(self, obj, request):
        self._absolute = request.build_absolute_uri
        return super().get_feed(obj, request)


urlpatterns = [
    path("", current, name="public_list"),
    path("feed.atom", CurrentAlertsFeed(), name="public_feed"),
    path("<slug:identifier>.xml", cap, name="public_cap"),
    path("<slug:identifier>/", detail, name="public_detail"),
]
