"""The delivery outbox: finding who an alert or newsletter reaches, writing one Delivery per channel in one
transaction, and sending them with leases, retries and backoff (docs/alert-delivery.md).

Exactly once, and the one window left
-------------------------------------
A Delivery row is unique per (alert, channel). A worker *claims* a row with one conditional UPDATE (pending
and due, or sending with a lapsed lease), which sets a lease of ALERT_LEASE_SECONDS; it sends, then marks
the row delivered. A worker that dies before sending leaves the lease to lapse and the sweep gives the row
to another worker; a worker that dies after the provider accepted the message but before the mark commits
causes the one repeat we cannot rule out. Every channel therefore carries the delivery id as an
idempotency key (email Message-ID, X-SafeCommons-Delivery, Idempotency-Key, push Topic), so the receiver
can drop the repeat.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from safecommons.alerts.messages import Message, alert_message
from safecommons.alerts.models import (
    QUIET_HOURS_OVERRIDE,
    TOPIC_BITS,
    Alert,
    Channel,
    Delivery,
    Newsletter,
    Subscription,
    SubscriptionChannel,
    Topic,
)
from safecommons.alerts.services.channels import ChannelGone, DeliveryFailed, channel_deactivate, channel_send
from safecommons.core.tasks import enqueue_with_transaction

logger = logging.getLogger(__name__)

SEND_BATCH_SIZE = 500
SWEEP_LIMIT = 50_000
QUIET_HOURS_CHANNELS = frozenset({Channel.WEB_PUSH, Channel.SMS})
# Test-only: the worker kills itself (SIGKILL) after marking this many deliveries (fault-injection tests).
CRASH_AFTER_SENDS_ENV = "SAFECOMMONS_ALERTS_CRASH_AFTER_SENDS"


# --- Fan-out -------------------------------------------------------------------------------------------------

def alert_deliveries_write(*, alert: Alert) -> int:
    """Match a just-published alert and write its deliveries inside the caller's (publishing) transaction,
    with their send tasks: an alert is never published without its outbox, nor its outbox without the alert.
    Returns the number of deliveries queued."""
    return alert_fanout_run(alert_id=alert.pk)


def alert_fanout_queue(*, alert: Alert) -> None:
    """Queue the fan-out of a published alert; call it inside the transaction that publishes."""
    from safecommons.alerts.tasks import alert_fanout

    enqueue_with_transaction(alert_fanout, alert.pk)


def newsletter_fanout_queue(*, newsletter: Newsletter) -> None:
    """Queue the fan-out of an approved newsletter; call it inside the transaction that approves or sends."""
    from safecommons.alerts.tasks import newsletter_fanout

    enqueue_with_transaction(newsletter_fanout, newsletter.pk)


def _id_filter(column: str, ids) -> tuple[str, object]:
    """`column` is one of `ids`, as SQL and its one parameter."""
    ids = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", ids
    return f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(ids)  # noqa: S608 (a column we name)


def _insert_deliveries(*, owner_column: str, owner_id: int, agency_id: int, subscription_ids, now: datetime,
                       topic_bit: int, test_list_only: bool = False,
                       organisation_ids: set[int] | None = None) -> None:
    """One INSERT ... SELECT of a pending Delivery per active, usable channel of the given subscriptions,
    re-checking in the database what the index decided on (it may be a moment stale): status, agency, topic,
    and for a drill the test list, for a restricted alert an organisation among `organisation_ids`. Rows
    already there stay as they are (ON CONFLICT DO NOTHING on the unique (owner, channel) index): running it
    twice adds nothing."""
    table, channels, subscriptions = (Delivery._meta.db_table, SubscriptionChannel._meta.db_table,
                                      Subscription._meta.db_table)
    other = "newsletter_id" if owner_column == "alert_id" else "alert_id"
    id_filter, id_param = _id_filter("s.id", subscription_ids)
    organisation_filter, organisation_param = "", []
    if organisation_ids is not None:
        organisation_filter, parameter = _id_filter("s.organisation_id", organisation_ids)
        organisation_filter, organisation_param = f"AND {organisation_filter} ", [parameter]
    sql = (f"INSERT INTO {table} ({owner_column}, {other}, target_id, channel, status, attempts, next_attempt_at, "  # noqa: S608 (names from the models)
           f"lease_until, last_error, delivered_at) "
           f"SELECT %s, NULL, c.id, c.channel, %s, 0, %s, NULL, '', NULL "
           f"FROM {channels} c JOIN {subscriptions} s ON s.id = c.subscription_id "
           f"WHERE {id_filter} AND s.status = %s AND s.agency_id = %s AND (s.topic_mask & %s) <> 0 AND c.active "
           f"AND (c.confirmed_at IS NOT NULL OR c.channel NOT IN (%s, %s)) "
           f"{'AND s.test_list ' if test_list_only else ''}"
           f"{organisation_filter}"
           f"ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner_id, Delivery.Status.PENDING, connection.ops.adapt_datetimefield_value(now),
                             id_param, Subscription.Status.ACTIVE, agency_id, topic_bit, Channel.EMAIL,
                             Channel.SMS, *organisation_param])


def _queue_pending_sends(deliveries) -> int:
    """Queue send batches for the pending rows of a queryset (on commit of the caller's transaction)."""
    from safecommons.alerts.tasks import delivery_send_batch

    ids = list(deliveries.filter(status=Delivery.Status.PENDING).order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), SEND_BATCH_SIZE):
        enqueue_with_transaction(delivery_send_batch, ids[start:start + SEND_BATCH_SIZE])
    return len(ids)


def alert_fanout_run(*, alert_id: int) -> int:
    """Match a published alert's subscribers, write their deliveries and queue the sends, in one
    transaction; returns the number of deliveries queued. Idempotent: a second run adds nothing."""
    from safecommons.alerts.matching import alert_matches

    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None or alert.state != Alert.State.PUBLISHED:
        return 0
    if alert.fanout == Alert.Fanout.NOT_STARTED:
        Alert.objects.filter(pk=alert.pk, fanout=Alert.Fanout.NOT_STARTED).update(fanout=Alert.Fanout.RUNNING,
                                                                                   updated_at=timezone.now())
    matched = alert_matches(alert)  # a drill or a test: the agency's whole test list
    if alert.references_id is not None:
        matched = np.union1d(matched, _reached_by_earlier_messages(alert))
    organisations = None
    if alert.scope == Alert.Scope.RESTRICTED and not alert.is_drill:
        organisations = restricted_alert_organisations(alert)
        matched = np.fromiter(Subscription.objects.filter(pk__in=matched.tolist(), organisation_id__in=organisations)
                              .order_by("id").values_list("id", flat=True), dtype=np.int64)
    with transaction.atomic():
        _insert_deliveries(owner_column="alert_id", owner_id=alert.pk, agency_id=alert.agency_id,
                           subscription_ids=matched, now=timezone.now(), topic_bit=TOPIC_BITS[alert.topic],
                           test_list_only=alert.is_drill, organisation_ids=organisations)
        _crash_point("fanout")
        Alert.objects.filter(pk=alert.pk).update(fanout=Alert.Fanout.DONE, matched=int(matched.size),
                                                 updated_at=timezone.now())
        return _queue_pending_sends(Delivery.objects.filter(alert=alert))


def restricted_alert_organisations(alert: Alert) -> set[int]:
    """The organisations whose subscriptions a restricted alert may reach: its agency and every organisation
    party to a signed agreement in force with it (the rule `alert.view_restricted` reads by)."""
    from safecommons.partners.selectors import partners_in_force_with

    return partners_in_force_with({alert.agency_id}) | {alert.agency_id}


def _chain(alert: Alert) -> list[Alert]:
    """The messages an update or cancellation follows up, nearest first (at most 100)."""
    earlier, reference = [], alert.references
    while reference is not None and len(earlier) < 100:
        earlier.append(reference)
        reference = reference.references
    return earlier


def _reached_by_earlier_messages(alert: Alert) -> np.ndarray:
    """Subscriptions an earlier message of the chain was delivered to: an update or cancellation must reach
    everyone who heard the original, even when its area shrank or moved."""
    earlier = [message.pk for message in _chain(alert)]
    reached = (Delivery.objects.filter(alert_id__in=earlier, status=Delivery.Status.DELIVERED)
               .values_list("target__subscription_id", flat=True).distinct())
    return np.fromiter(reached, dtype=np.int64)


def newsletter_fanout_run(*, newsletter_id: int) -> int:
    """The same for an approved newsletter: subscriptions to newsletters of its area; marks it sent."""
    from safecommons.alerts.matching import newsletter_matches

    newsletter = Newsletter.objects.select_related("area").filter(pk=newsletter_id).first()
    if newsletter is None or newsletter.state == Newsletter.State.DRAFT:
        return 0
    matched = newsletter_matches(newsletter)
    with transaction.atomic():
        now = timezone.now()
        _insert_deliveries(owner_column="newsletter_id", owner_id=newsletter.pk, agency_id=newsletter.agency_id,
                           subscription_ids=matched, now=now, topic_bit=TOPIC_BITS[Topic.NEWSLETTER])
        Newsletter.objects.filter(pk=newsletter.pk, state=Newsletter.State.APPROVED).update(
            state=Newsletter.State.SENT, sent_at=now, updated_at=now)
        return _queue_pending_sends(Delivery.objects.filter(newsletter=newsletter))


# --- Sending -------------------------------------------------------------------------------------------------

@dataclass
class SendReport:
    """What one batch did, by outcome."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    not_claimed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}


def _due(now: datetime) -> Q:
    return (Q(status=Delivery.Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            | Q(status=Delivery.Status.SENDING, lease_until__lt=now))


def delivery_claim(*, delivery_id: int, now: datetime) -> datetime | None:
    """Take a due row for this worker: one conditional UPDATE, so two workers never both get it. Returns the
    lease's end, or None when the row is not due, another worker holds it, or its attempts are used up."""
    lease = now + timedelta(seconds=settings.ALERT_LEASE_SECONDS)
    claimed = Delivery.objects.filter(_due(now), pk=delivery_id, attempts__lt=settings.ALERT_MAX_ATTEMPTS).update(
        status=Delivery.Status.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    return lease if claimed else None


def delivery_give_up_if_spent(*, delivery_id: int, now: datetime) -> bool:
    """Fail a due row that already used ALERT_MAX_ATTEMPTS attempts instead of claiming it again: one whose
    every attempt killed its worker (so no failure was ever recorded) would otherwise be retried for ever."""
    limit = settings.ALERT_MAX_ATTEMPTS
    return bool(Delivery.objects.filter(_due(now), pk=delivery_id, attempts__gte=limit).update(
        status=Delivery.Status.FAILED, lease_until=None, next_attempt_at=None,
        last_error=f"gave up after {limit} attempts"))


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: ALERT_RETRY_SECONDS × 2^(attempts-1), plus up to 10 % jitter."""
    seconds = settings.ALERT_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=seconds * (1 + random.random() * 0.1))  # noqa: S311 (spreading, not security)


def quiet_hours_end(subscription: Subscription, now: datetime) -> datetime | None:
    """When the subscriber's quiet hours end, if `now` falls within them (in their time zone), else None."""
    start, end = subscription.quiet_start, subscription.quiet_end
    if start is None or end is None or start == end:
        return None
    try:
        zone = ZoneInfo(subscription.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # across midnight, e.g. 22:00-07:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(timezone.get_current_timezone())


@dataclass
class _AlertFacts:
    """What the sending loop asks about an alert, read once per batch."""

    cancelled: bool
    superseded: bool
    severe_chain: bool
    organisations: set[int] | None  # restricted: who may receive it now


def _alert_facts(alert: Alert, known: dict[int, _AlertFacts]) -> _AlertFacts:
    if alert.pk not in known:
        follow_ups = set(Alert.objects.filter(references_id=alert.pk, state=Alert.State.PUBLISHED)
                         .values_list("msg_type", flat=True))
        known[alert.pk] = _AlertFacts(
            cancelled=Alert.MsgType.CANCEL in follow_ups, superseded=Alert.MsgType.UPDATE in follow_ups,
            # A follow-up of a severe alert comes through quiet hours as the alert did: an all-clear must not
            # wait for the morning after the warning woke them.
            severe_chain=any(m.severity in QUIET_HOURS_OVERRIDE for m in [alert, *_chain(alert)]),
            organisations=(restricted_alert_organisations(alert)
                           if alert.scope == Alert.Scope.RESTRICTED and not alert.is_drill else None))
    return known[alert.pk]


def _skip_reason(delivery: Delivery, now: datetime, known: dict[int, _AlertFacts]) -> str:
    target = delivery.target
    if not target.active or target.subscription.status != Subscription.Status.ACTIVE:
        return "the subscription or channel ended before sending"
    alert = delivery.alert
    if alert is not None:
        if alert.expires is not None and alert.expires <= now:
            return "the alert expired before it could be sent"
        facts = _alert_facts(alert, known)
        if facts.cancelled:
            return "the alert was cancelled before it could be sent"
        if facts.superseded:
            return "the alert was superseded by an update before it could be sent"
        if facts.organisations is not None and target.subscription.organisation_id not in facts.organisations:
            return "no agreement in force with the agency any more: a restricted alert is not sent"
    return ""


def _finish(delivery_id: int, lease: datetime, **fields) -> None:
    # Only while our lease holds: a row taken over by another worker is theirs to mark.
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING, lease_until=lease).update(**fields)


def _message(delivery: Delivery, cache: dict) -> Message:
    language = delivery.target.subscription.language
    key = (delivery.alert_id, delivery.newsletter_id, language)
    if key not in cache:
        if delivery.alert is not None:
            cache[key] = alert_message(delivery.alert, language)
        else:
            from safecommons.alerts.services.newsletters import newsletter_message

            cache[key] = newsletter_message(delivery.newsletter, language)
    return cache[key]


_sent_in_process = 0


def _crash_point(where: str) -> None:
    """Fault injection for tests: die like a killed worker at a chosen point (off unless the variable is set)."""
    global _sent_in_process
    limit = os.environ.get(CRASH_AFTER_SENDS_ENV, "")
    if not limit:
        return
    if where == "fanout":
        if limit == "fanout":
            os.kill(os.getpid(), signal.SIGKILL)
        return
    _sent_in_process += 1
    if limit.isdigit() and _sent_in_process >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def delivery_send_batch_run(*, delivery_ids: list[int]) -> SendReport:
    """Claim, send and mark each of the given deliveries that is due; retries are queued with backoff."""
    from safecommons.alerts.tasks import delivery_send_batch

    report, messages, known = SendReport(), {}, {}
    # Only the rows due now: a batch queued again by the sweep (or twice) passes over the others cheaply.
    rows = list(Delivery.objects.filter(_due(timezone.now()), pk__in=delivery_ids).order_by("id")
                .select_related("target__subscription__agency", "alert", "newsletter__area"))
    loaded = {row.pk for row in rows}
    report.not_claimed.extend(pk for pk in delivery_ids if pk not in loaded)
    email_connection = None
    try:
        for delivery in rows:
            now = timezone.now()
            lease = delivery_claim(delivery_id=delivery.pk, now=now)
            if lease is None:  # rarely: taken by another worker, or out of attempts (then failed here)
                spent = delivery_give_up_if_spent(delivery_id=delivery.pk, now=now)
                (report.failed if spent else report.not_claimed).append(delivery.pk)
                continue
            attempts = Delivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
            reason = _skip_reason(delivery, now, known)
            if reason:
                _finish(delivery.pk, lease, status=Delivery.Status.SKIPPED, last_error=reason, lease_until=None)
                report.skipped.append(delivery.pk)
                continue
            severe = delivery.alert is not None and _alert_facts(delivery.alert, known).severe_chain
            quiet_until = (quiet_hours_end(delivery.target.subscription, now)
                           if delivery.channel in QUIET_HOURS_CHANNELS and not severe else None)
            if quiet_until is not None:
                _finish(delivery.pk, lease, status=Delivery.Status.PENDING, next_attempt_at=quiet_until,
                        lease_until=None, attempts=F("attempts") - 1)
                delivery_send_batch.using(run_after=quiet_until).enqueue([delivery.pk])
                report.deferred.append(delivery.pk)
                continue
            if delivery.channel == Channel.EMAIL and email_connection is None:
                email_connection = get_connection()
            try:
                with translation.override(delivery.target.subscription.language):
                    channel_send(delivery=delivery, message=_message(delivery, messages),
                                 email_connection=email_connection)
            except ChannelGone as exc:
                channel_deactivate(target=delivery.target)
                _finish(delivery.pk, lease, status=Delivery.Status.SKIPPED, last_error=str(exc)[:500],
                        lease_until=None)
                report.skipped.append(delivery.pk)
                continue
            except Exception as exc:  # DeliveryFailed, or anything unforeseen: both are tried again
                if not isinstance(exc, DeliveryFailed):
                    logger.exception("delivery %s failed unexpectedly", delivery.pk)
                    email_connection = None
                error = str(exc)[:500] or exc.__class__.__name__
                if attempts >= settings.ALERT_MAX_ATTEMPTS:
                    _finish(delivery.pk, lease, status=Delivery.Status.FAILED, last_error=error, lease_until=None,
                            next_attempt_at=None)
                    report.failed.append(delivery.pk)
                else:
                    when = timezone.now() + retry_delay(attempts)
                    _finish(delivery.pk, lease, status=Delivery.Status.PENDING, last_error=error, lease_until=None,
                            next_attempt_at=when)
                    delivery_send_batch.using(run_after=when).enqueue([delivery.pk])
                    report.retrying.append(delivery.pk)
                continue
            _finish(delivery.pk, lease, status=Delivery.Status.DELIVERED, delivered_at=timezone.now(),
                    lease_until=None, last_error="")
            report.delivered.append(delivery.pk)
            _crash_point("sent")
    finally:
        if email_connection is not None:
            email_connection.close()
    return report


def deliveries_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """On the schedule: queue again what a dead worker left behind. Published alerts whose fan-out never
    finished, rows whose lease lapsed while sending, and pending rows due for longer than a lease (their
    task was lost). A row queued twice is still sent once: the claim decides."""
    from safecommons.alerts.tasks import alert_fanout

    now = now or timezone.now()
    grace = timedelta(seconds=settings.ALERT_LEASE_SECONDS)
    stalled = list(Alert.objects.filter(state=Alert.State.PUBLISHED, updated_at__lt=now - grace)
                   .exclude(fanout=Alert.Fanout.DONE).values_list("id", flat=True))
    with transaction.atomic():
        for alert_id in stalled:
            enqueue_with_transaction(alert_fanout, alert_id)
        left = Delivery.objects.filter(
            Q(status=Delivery.Status.SENDING, lease_until__lt=now)
            | Q(status=Delivery.Status.PENDING, next_attempt_at__lt=now - grace)
            | Q(status=Delivery.Status.PENDING, next_attempt_at__isnull=True))
        ids = list(left.order_by("id").values_list("id", flat=True)[:SWEEP_LIMIT])
        from safecommons.alerts.tasks import delivery_send_batch

        for start in range(0, len(ids), SEND_BATCH_SIZE):
            enqueue_with_transaction(delivery_send_batch, ids[start:start + SEND_BATCH_SIZE])
    return {"fanouts": len(stalled), "deliveries": len(ids)}


__all__ = ["alert_deliveries_write", "alert_fanout_queue", "alert_fanout_run", "newsletter_fanout_queue",
           "newsletter_fanout_run",
           "delivery_send_batch_run", "delivery_claim", "delivery_give_up_if_spent", "restricted_alert_organisations",
           "deliveries_sweep", "quiet_hours_end", "retry_delay", "SendReport"]
