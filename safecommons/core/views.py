from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
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
