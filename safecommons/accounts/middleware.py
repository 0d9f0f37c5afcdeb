import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from safecommons.accounts import services
from safecommons.core.permissions import actor_for_user
from safecommons.core.privacy import is_anonymous_request

LAST_SEEN_STEP_S = 60


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
