from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user, may
from safecommons.partners import selectors, services
from safecommons.partners.forms import ApiKeyForm
from safecommons.partners.models import ApiKey, OrganisationKind


def directory(request):
    actor = actor_for_user(request.user)
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "")
    organisations = selectors.organisations_directory(actor=actor, kind=kind, query=query)
    return render(request, "partners/directory.html", {
        "organisations": organisations, "kinds": OrganisationKind.choices, "kind": kind, "q": query,
    })


def organisation_detail(request, slug):
    actor = actor_for_user(request.user)
    organisation = selectors.organisation_get(actor=actor, slug=slug)
    can_see_contacts = may(actor, "organisation.view_contacts", organisation)
    contacts = services.organisation_contacts_read(actor=actor, organisation=organisation) if can_see_contacts else []
    return render(request, "partners/organisation.html", {
        "organisation": organisation, "contacts": contacts, "can_see_contacts": can_see_contacts,
        "sites": organisation.sites.all() if may(actor, "organisation.view_private", organisation) else [],
        "units": organisation.units.all(), "can_manage_keys": may(actor, "apikey.manage", organisation),
    })


@login_required
def agreement_list(request):
    agreements = selectors.agreements_for(actor=actor_for_user(request.user))
    return render(request, "partners/agreements.html", {"agreements": agreements})


@login_required
def agreement_detail(request, agreement_id):
    actor = actor_for_user(request.user)
    agreement = selectors.agreement_get(actor=actor, agreement_id=agreement_id)
    return render(request, "partners/agreement.html", {
        "agreement": agreement, "flows": selectors.flows_under(actor=actor, agreement=agreement)[:200],
    })


@login_required
def api_keys(request, slug):
    actor = actor_for_user(request.user)
    organisation = selectors.organisation_get(actor=actor, slug=slug)
    keys = selectors.api_keys_of(actor=actor, organisation=organisation)
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            _key, issued = services.api_key_issue(
                actor=actor, organisation=organisation, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"], mfa_verified=request.user.is_verified(),
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            form = ApiKeyForm()
    return render(request, "partners/api_keys.html", {
        "organisation": organisation, "keys": keys, "form": form, "issued": issued,
    })


@login_required
@require_POST
def api_key_revoke(request, key_id):
    api_key = get_object_or_404(ApiKey.objects.select_related("organisation"), pk=key_id)
    services.api_key_revoke(actor=actor_for_user(request.user), api_key=api_key)
    messages.success(request, _("The key was revoked. Calls with it are refused from now on."))
    return redirect("partners:api_keys", slug=api_key.organisation.slug)
