"""The alerts API: delivery. Agency staff read how an alert's deliveries went on each channel, and the
fatigue signal of their agency's last alerts (opt-outs per 1,000 deliveries)."""

from __future__ import annotations

from ninja import Field, Router, Schema

from safecommons.alerts.selectors import alerts as alert_selectors
from safecommons.alerts.selectors import delivery as delivery_selectors
from safecommons.core.api import SIGNED_IN, request_actor

router = Router(tags=["alerts"])


class ChannelStatsOut(Schema):
    channel: str = Field(description="email, web_push, sms or webhook; empty for the total")
    queued: int = Field(description="Deliveries written for this channel")
    attempted: int = Field(description="Tried at least once")
    delivered: int
    failed: int = Field(description="Gave up after the last attempt")
    pending: int = Field(description="Waiting: being sent, a retry, or quiet hours")
    skipped: int = Field(description="Not sent: expired, cancelled, unsubscribed, or the address is gone")
    opt_outs: int = Field(description="Unsubscribes from this channel after this alert")


class DeliveryReportOut(Schema):
    alert_id: int
    identifier: str
    fanout: str = Field(description="not_started, running or done")
    matched: int = Field(description="Subscriptions the area and topic matched")
    done: bool = Field(description="Fan-out done and nothing left to send")
    channels: list[ChannelStatsOut]
    total: ChannelStatsOut
    opt_outs_whole: int = Field(description="Whole subscriptions ended after this alert")


class FatigueAlertOut(Schema):
    alert_id: int
    identifier: str
    topic: str
    sent_at: str | None
    delivered: int
    opt_outs: int
    per_thousand: float | None = Field(description="Opt-outs per 1,000 deliveries; null with no delivery")


class FatigueTopicOut(Schema):
    topic: str
    alerts: int
    delivered: int
    opt_outs: int
    per_thousand: float | None


class FatigueOut(Schema):
    agency: str = Field(description="The agency's slug")
    alerts: list[FatigueAlertOut]
    topics: list[FatigueTopicOut]


def _stats(stats) -> dict:
    return {name: getattr(stats, name) for name in ChannelStatsOut.model_fields}


def delivery_report_out(report) -> dict:
    """The report as the API (and the page's refreshing status line) gives it."""
    alert = report.alert
    return {"alert_id": alert.pk, "identifier": alert.identifier, "fanout": alert.fanout, "matched": report.matched,
            "done": report.done, "channels": [_stats(c) for c in report.channels], "total": _stats(report.total),
            "opt_outs_whole": report.opt_outs_whole}


@router.get("/staff/alerts/{alert_id}/delivery", response=DeliveryReportOut, auth=SIGNED_IN,
            url_name="alert_delivery_report")
def alert_delivery_report(request, alert_id: int):
    """Per channel: deliveries queued, attempted, delivered, failed, pending, skipped, and opt-outs after it."""
    actor = request_actor(request)
    alert = delivery_selectors.alert_delivery_alert(actor=actor, alert_id=alert_id)
    return delivery_report_out(delivery_selectors.alert_delivery_report(actor=actor, alert=alert))


@router.get("/staff/fatigue", response=FatigueOut, auth=SIGNED_IN, url_name="alert_fatigue")
def alert_fatigue(request, agency: str = ""):
    """The agency's last alerts with opt-outs per 1,000 deliveries, and the same per topic."""
    actor = request_actor(request)
    organisation = alert_selectors.alert_staff_agency(actor=actor, slug=agency)
    report = delivery_selectors.alerts_fatigue(actor=actor, agency=organisation)
    return {"agency": organisation.slug,
            "alerts": [{"alert_id": row.alert.pk, "identifier": row.alert.identifier, "topic": row.alert.topic,
                        "sent_at": row.alert.sent_at.isoformat() if row.alert.sent_at else None,
                        "delivered": row.delivered, "opt_outs": row.opt_outs, "per_thousand": row.per_thousand}
                       for row in report.alerts],
            "topics": [{"topic": t.topic, "alerts": t.alerts, "delivered": t.delivered, "opt_outs": t.opt_outs,
                        "per_thousand": t.per_thousand} for t in report.topics]}
