from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user, may
from safecommons.partners import selectors, services
from safecommons.partners.forms import AgreementForm, ApiKeyForm, TerminationForm
from safecommons.partners.models import ApiKey, OrganisationKind
from safecommons.partners.services import GrantSpec


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
    actor = actor_for_user(request.user)
    return render(request, "partners/agreements.html", {
        "agreements": selectors.agreements_for(actor=actor), "can_create": may(actor, "agreement.manage"),
    })


@login_required
def agreement_detail(request, agreement_id):
    actor = actor_for_user(request.user)
    agreement = selectors.agreement_get(actor=actor, agreement_id=agreement_id)
    return render(request, "partners/agreement.html", {
        "agreement": agreement, "flows": selectors.flows_under(actor=actor, agreement=agreement)[:200],
        "can_manage": may(actor, "agreement.manage", agreement) and agreement.state != "terminated",
        "termination_form": TerminationForm(),
    })


@login_required
def agreement_new(request):
    actor = actor_for_user(request.user)
    if not may(actor, "agreement.manage"):
        raise PermissionDenied("agreement.manage")
    form = AgreementForm(request.POST or None, request.FILES or None, agencies=selectors.organisations_managed(
        actor=actor).filter(kind=OrganisationKind.AGENCY))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency, partner = data["agency"], data["partner"]
        try:
            agreement = services.agreement_create(
                actor=actor, title=data["title"], purpose=data["purpose"], signed=data["signed"],
                parties=[(agency, data["agency_role"]), (partner, data["partner_role"])],
                grants=[GrantSpec(scope, partner, agency) for scope in data["to_agency"]]
                + [GrantSpec(scope, agency, partner) for scope in data["to_partner"]],
                effective_from=data["effective_from"], expires_on=data["expires_on"], document=data["document"],
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The agreement is recorded."))
            return redirect("partners:agreement", agreement_id=agreement.pk)
    return render(request, "partners/agreement_new.html", {"form": form})


@login_required
@require_POST
def agreement_terminate(request, agreement_id):
    actor = actor_for_user(request.user)
    agreement = selectors.agreement_get(actor=actor, agreement_id=agreement_id)
    form = TerminationForm(request.POST)
    if form.is_valid():
        services.agreement_terminate(actor=actor, agreement=agreement, reason=form.cleaned_data["reason"])
        messages.success(request, _("The agreement is terminated: nothing flows under it from now on."))
    else:
        messages.error(request, _("Say why the agreement ends."))
    return redirect("partners:agreement", agreement_id=agreement.pk)


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
