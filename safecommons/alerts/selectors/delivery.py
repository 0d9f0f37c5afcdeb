"""Reading the outbox for agency staff: how an alert's deliveries went on each channel, and the fatigue
signal (opt-outs after each alert, per 1,000 deliveries)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import Http404

from safecommons.alerts.models import Alert, Channel, Delivery, OptOut, Topic
from safecommons.core.permissions import Actor, require
from safecommons.partners.models import Organisation

FATIGUE_ALERTS = 20


@dataclass(frozen=True)
class ChannelStats:
    """One channel's deliveries of an alert. `attempted` counts rows tried at least once; `pending`
    includes rows being sent and rows waiting for a retry or for quiet hours to end."""

    channel: str
    label: str
    queued: int
    attempted: int
    delivered: int
    failed: int
    pending: int
    skipped: int
    opt_outs: int


@dataclass(frozen=True)
class DeliveryReport:
    alert: Alert
    matched: int  # subscriptions the area and topic matched
    channels: list[ChannelStats]
    total: ChannelStats
    opt_outs_whole: int  # whole subscriptions ended after this alert (no channel named)
    done: bool  # nothing left to send
    # The commonest reasons rows failed, wait for a retry or were not sent: (channel label, reason, rows).
    problems: list[tuple[str, str, int]] = field(default_factory=list)


def alert_delivery_alert(*, actor: Actor, alert_id: int) -> Alert:
    """The alert, if the actor is staff of its agency (`alert.view_staff`); Http404 when it does not exist."""
    alert = Alert.objects.select_related("agency").prefetch_related("infos").filter(pk=alert_id).first()
    if alert is None:
        raise Http404(alert_id)
    require(actor, "alert.view_staff", alert)
    return alert


def _counts(**extra) -> dict:
    statuses = Delivery.Status
    return dict(queued=Count("id"), attempted=Count("id", filter=Q(attempts__gt=0)),
                delivered=Count("id", filter=Q(status=statuses.DELIVERED)),
                failed=Count("id", filter=Q(status=statuses.FAILED)),
                pending=Count("id", filter=Q(status__in=[statuses.PENDING, statuses.SENDING])),
                skipped=Count("id", filter=Q(status=statuses.SKIPPED)), **extra)


def alert_delivery_report(*, actor: Actor, alert: Alert) -> DeliveryReport:
    """Per channel: queued, attempted, delivered, failed, pending, skipped, and the opt-outs that followed."""
    require(actor, "alert.view_staff", alert)
    rows = {row["channel"]: row for row in Delivery.objects.filter(alert=alert).order_by().values("channel")
            .annotate(**_counts())}
    opt_outs = dict(OptOut.objects.filter(after_alert=alert).order_by().values("channel")
                    .annotate(n=Count("id")).values_list("channel", "n"))
    whole = opt_outs.pop("", 0)
    channels = []
    for channel in Channel:
        row = rows.get(channel.value)
        if row is None and not opt_outs.get(channel.value):
            continue
        row = row or dict.fromkeys(("queued", "attempted", "delivered", "failed", "pending", "skipped"), 0)
        channels.append(ChannelStats(channel=channel.value, label=str(channel.label), queued=row["queued"],
                                     attempted=row["attempted"], delivered=row["delivered"], failed=row["failed"],
                                     pending=row["pending"], skipped=row["skipped"],
                                     opt_outs=opt_outs.get(channel.value, 0)))
    total = ChannelStats(channel="", label="", **{name: sum(getattr(c, name) for c in channels) for name in
                                                  ("queued", "attempted", "delivered", "failed", "pending",
                                                   "skipped", "opt_outs")})
    labels = {channel.value: str(channel.label) for channel in Channel}
    problems = [(labels.get(row["channel"], row["channel"]), row["last_error"], row["n"]) for row in
                Delivery.objects.filter(alert=alert).exclude(last_error="").order_by().values("channel", "last_error")
                .annotate(n=Count("id")).order_by("-n")[:5]]
    return DeliveryReport(alert=alert, matched=alert.matched, channels=channels, total=total, opt_outs_whole=whole,
                          done=alert.fanout == Alert.Fanout.DONE and total.pending == 0, problems=problems)


@dataclass(frozen=True)
class FatigueRow:
    alert: Alert
    delivered: int
    opt_outs: int

    @property
    def per_thousand(self) -> float | None:
        return round(self.opt_outs * 1000 / self.delivered, 1) if self.delivered else None


@dataclass
class TopicFatigue:
    topic: str
    label: str
    alerts: int = 0
    delivered: int = 0
    opt_outs: int = 0

    @property
    def per_thousand(self) -> float | None:
        return round(self.opt_outs * 1000 / self.delivered, 1) if self.delivered else None


@dataclass(frozen=True)
class FatigueReport:
    agency: Organisation
    alerts: list[FatigueRow]
    topics: list[TopicFatigue] = field(default_factory=list)


def alerts_fatigue(*, actor: Actor, agency: Organisation, limit: int = FATIGUE_ALERTS) -> FatigueReport:
    """The agency's last `limit` published real alerts, each with its deliveries and the opt-outs that
    followed it (per 1,000 deliveries), and the same summed per topic. Drills and tests are left out: they
    reach only the test list."""
    require(actor, "alert.view_staff", agency)
    alerts = list(Alert.objects.filter(agency=agency, state=Alert.State.PUBLISHED, cap_status=Alert.CapStatus.ACTUAL)
                  .annotate(delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DELIVERED),
                                            distinct=True),
                            opt_out_count=Count("opt_outs", distinct=True))
                  .order_by("-sent_at", "-pk")[:limit])
    rows = [FatigueRow(alert=alert, delivered=alert.delivered, opt_outs=alert.opt_out_count) for alert in alerts]
    topics: dict[str, TopicFatigue] = defaultdict(lambda: TopicFatigue(topic="", label=""))
    for row in rows:
        topic = topics[row.alert.topic]
        topic.topic, topic.label = row.alert.topic, str(Topic(row.alert.topic).label)
        topic.alerts += 1
        topic.delivered += row.delivered
        topic.opt_outs += row.opt_outs
    return FatigueReport(agency=agency, alerts=rows, topics=sorted(topics.values(), key=lambda t: t.topic))
