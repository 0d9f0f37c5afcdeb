import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecommons.accounts import services
from safecommons.core.compiled import CompiledRead
from safecommons.core.permissions import actor_for_user
from safecommons.core.privacy import is_anonymous_request

LAST_SEEN_STEP_S = 60
TOTP_DEVICE_LABEL = f"{TOTPDevice._meta.app_label}.{TOTPDevice._meta.model_name}"

_TOTP_DEVICE = CompiledRead(lambda device_id: TOTPDevice.objects.filter(id=device_id),
                            stand_ins=({"device_id": -1001}, {"device_id": 2002}, {"device_id": 30_000_001}))


class OTPDeviceMiddleware(OTPMiddleware):
    """django-otp's middleware, which finds the session's verified device again on every request of a signed-in
    person; a TOTP device (the only kind people here have) is read by SQL compiled once (core/compiled.py).
    Whether the device is the user's and confirmed is still django-otp's check, after the read."""

    def _device_from_persistent_id(self, persistent_id: str):
        label, _, device_id = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label == TOTP_DEVICE_LABEL and device_id.isascii() and device_id.isdigit():
            return _TOTP_DEVICE.first(device_id=int(device_id))
        return super()._device_from_persistent_id(persistent_id)


class StaffSessionPolicyMiddleware:
    """Staff sessions must have passed TOTP, and agency sessions end after a spell of inactivity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_anonymous_request(request):
            return self.get_response(request)  # a tipster's request touches no session, whoever sends it
        user = request.user
        if user.is_authenticated:
            if services.user_needs_mfa(user) and not user.is_verified():
                logout(request)
                return self._to_sign_in(request, _("Your role needs a second factor: please sign in again."))
            if actor_for_user(user).is_idle_limited:
                now = int(time.time())
                last_seen = request.session.get("last_seen", now)
                idle_limit = settings.STAFF_IDLE_MINUTES * 60
                if now - last_seen > idle_limit:
                    services.session_expired(user=user, idle_minutes=settings.STAFF_IDLE_MINUTES)
                    logout(request)
                    return self._to_sign_in(request, _("Your session ended after %(minutes)d idle minutes.")
                                            % {"minutes": settings.STAFF_IDLE_MINUTES})
                if now - last_seen >= LAST_SEEN_STEP_S or "last_seen" not in request.session:
                    # To the minute is enough for a 30-minute limit, and spares a session write per request.
                    request.session["last_seen"] = now
        return self.get_response(request)

    @staticmethod
    def _to_sign_in(request, message: str):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=401)
        messages.warning(request, message)
        return redirect(f"{reverse('accounts:sign_in')}?next={request.path}")
