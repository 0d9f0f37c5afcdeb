"""Signing in (password, then TOTP for staff), lockout, MFA enrolment, memberships."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecommons.accounts.models import Membership, SignInThrottle, User
from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, actor_for_user, require


class SignIn(enum.StrEnum):
    OK = "ok"
    NEEDS_TOTP = "needs_totp"
    NEEDS_ENROLMENT = "needs_enrolment"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: User | None = None
    locked_until: object = None


def user_needs_mfa(user: User) -> bool:
    """Agency, partner and oversight staff (and anyone who can open the admin) need a second factor."""
    return user.is_staff or user.is_superuser or actor_for_user(user).needs_mfa


def session_passes_staff_policy(*, user: User, session) -> bool:
    """What the HTTP middleware enforces, for connections that bypass it (websockets): a staff session has
    passed its second factor with one of the user's confirmed devices, and an idle-limited one has not been
    idle longer than STAFF_IDLE_MINUTES."""
    import time

    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    if not user.is_authenticated:
        return False
    if user_needs_mfa(user):
        device = Device.from_persistent_id(session.get(DEVICE_ID_SESSION_KEY) or "") if session else None
        if device is None or device.user_id != user.pk or not device.confirmed:
            return False
    if actor_for_user(user).is_idle_limited:
        last_seen = session.get("last_seen") if session else None
        if last_seen is None or time.time() - last_seen > settings.STAFF_IDLE_MINUTES * 60:
            return False
    return True


def _throttle_key(email: str) -> str:
    return email.strip().lower()[:254]


def _locked_until(email: str):
    throttle = SignInThrottle.objects.filter(email=_throttle_key(email)).first()
    return throttle.locked_until if throttle and throttle.is_locked() else None


def _failure(email: str, *, stage: str, user: User | None) -> SignInResult:
    """Count a failed attempt; the attempt that reaches the limit locks the account for a while."""
    now = timezone.now()
    with transaction.atomic():
        throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(email=_throttle_key(email))
        throttle.failures += 1
        throttle.last_failure_at = now
        locked = throttle.failures >= settings.SIGN_IN_MAX_FAILURES
        if locked:
            throttle.locked_until = now + timedelta(minutes=settings.SIGN_IN_LOCK_MINUTES)
            throttle.failures = 0
        throttle.save()
    label = _throttle_key(email)
    audit_record(action="auth.sign_in_failed", actor_label=label, outcome=AuditEntry.Outcome.FAILED,
                 object_type="accounts.user", object_id=user.pk if user else "", details={"stage": stage})
    if locked:
        audit_record(action="auth.locked", actor_label=label, outcome=AuditEntry.Outcome.DENIED,
                     details={"minutes": settings.SIGN_IN_LOCK_MINUTES})
        return SignInResult(SignIn.LOCKED, locked_until=throttle.locked_until)
    return SignInResult(SignIn.INVALID)


def _success(user: User, *, method: str) -> SignInResult:
    SignInThrottle.objects.filter(email=_throttle_key(user.email)).delete()
    audit_record(action="auth.sign_in", actor=actor_for_user(user), target=user, details={"method": method})
    return SignInResult(SignIn.OK, user=user)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def sign_in_password(*, email: str, password: str) -> SignInResult:
    """First step. Residents are in; staff go on to a TOTP code (or to enrol one, the first time)."""
    if locked_until := _locked_until(email):
        audit_record(action="auth.sign_in_refused", actor_label=_throttle_key(email),
                     outcome=AuditEntry.Outcome.DENIED, details={"reason": "locked"})
        return SignInResult(SignIn.LOCKED, locked_until=locked_until)
    user = authenticate(username=email, password=password)
    if user is None:
        known = User.objects.filter(email__iexact=email.strip()).first()
        return _failure(email, stage="password", user=known)
    if not user_needs_mfa(user):
        return _success(user, method="password")
    outcome = SignIn.NEEDS_TOTP if confirmed_device(user) else SignIn.NEEDS_ENROLMENT
    return SignInResult(outcome, user=user)


def sign_in_totp(*, user: User, token: str) -> tuple[SignInResult, TOTPDevice | None]:
    """Second step: the code from the person's authenticator app. Failures count toward the lockout."""
    if locked_until := _locked_until(user.email):
        return SignInResult(SignIn.LOCKED, locked_until=locked_until), None
    device = confirmed_device(user)
    if device is None or not device.verify_token(token.strip().replace(" ", "")):
        return _failure(user.email, stage="totp", user=user), None
    return _success(user, method="password+totp"), device


def mfa_enrolment_begin(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device whose secret is shown (as a QR code) until the person confirms a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def mfa_enrolment_confirm(*, user: User, token: str) -> TOTPDevice | None:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip().replace(" ", "")):
        _failure(user.email, stage="enrolment", user=user)
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(action="auth.mfa_enrolled", actor=actor_for_user(user), target=user)
    _success(user, method="password+totp-enrolment")
    return device


def session_expired(*, user: User, idle_minutes: int) -> None:
    audit_record(action="auth.session_expired", actor=actor_for_user(user), target=user,
                 details={"idle_minutes": idle_minutes})


def signed_out(*, user: User) -> None:
    audit_record(action="auth.sign_out", actor=actor_for_user(user), target=user)


def resident_register(*, email: str, password: str, display_name: str = "", language: str = "en") -> User:
    """A resident's own account: password only (Argon2, checked against the banned list)."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Refused("An account with this email already exists.")
    candidate = User(email=email, username=email, display_name=display_name)
    validate_password(password, user=candidate)
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, display_name=display_name,
                                        preferred_language=language)
        audit_record(action="account.registered", actor_label=email, target=user)
    return user


def membership_grant(*, actor: Actor, user: User, organisation, role: str, title: str = "") -> Membership:
    """Give a person a role in an organisation (partner admins for their own, agency admins for theirs)."""
    require(actor, "membership.manage", organisation)
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=organisation, role=role, ended_at=None, defaults={"title": title}
        )
        if created:
            audit_record(action="membership.granted", actor=actor, target=membership, organisation=organisation,
                         details={"user": user.pk, "role": role})
    user.__dict__.pop("_safecommons_actor", None)
    return membership


def membership_end(*, actor: Actor, membership: Membership) -> Membership:
    require(actor, "membership.manage", membership.organisation)
    with transaction.atomic():
        membership.ended_at = timezone.now()
        membership.save(update_fields=["ended_at", "updated_at"])
        audit_record(action="membership.ended", actor=actor, target=membership, organisation=membership.organisation,
                     details={"user": membership.user_id, "role": membership.role})
    membership.user.__dict__.pop("_safecommons_actor", None)
    return membership
