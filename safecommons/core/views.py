from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.selectors import audit_search
from safecommons.core.forms import AuditSearchForm
from safecommons.core.health import health_status
from safecommons.core.permissions import actor_for_user, require


def home(request):
    return render(request, "core/home.html")


@never_cache
def healthz(request):
    healthy, report = health_status()
    return JsonResponse(report, status=200 if healthy else 503)


@login_required
def audit_log(request):
    actor = actor_for_user(request.user)
    require(actor, "audit.search")
    form = AuditSearchForm(request.GET or None)
    entries = audit_search(actor=actor, **(form.cleaned_data if form.is_valid() else {}))[:200]
    return render(request, "core/audit.html", {"form": form, "entries": entries,
                                               "outcomes": AuditEntry.Outcome.choices})


def language(request, code):
    """Switch language with a plain link: a cookie holding "en" or "es", and no CSRF token (a form would
    give every visitor a unique token cookie, which the tip line promises not to hand out)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("no such language")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=settings.HTTPS, httponly=True)
    return response
