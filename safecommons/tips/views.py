"""Tip pages. The tipster's pages set no cookie, take no CSRF token and keep no session: the code and
passphrase are the only way back, and a signed, expiring token in the page carries the tipster from one
form to the next. Staff pages are ordinary signed-in pages."""

from __future__ import annotations

import functools
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused, Throttled
from safecommons.core.media import upload_wipe
from safecommons.core.middleware import content_security_policy
from safecommons.core.permissions import actor_for_user, may, require
from safecommons.tips import forms, selectors, services, throttle
from safecommons.tips.models import Tip


def tipster_page(view):
    """No cookies, no CSRF token, nothing cached, no referrer, uploads wiped; the language from `lang` if given."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        lang = request.POST.get("language") or request.GET.get("lang")
        if lang in {code for code, _name in settings.LANGUAGES}:
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        try:
            response = view(request, *args, **kwargs)
        finally:
            for _field, uploads in request.FILES.lists() if request.method == "POST" else ():
                for upload in uploads:
                    upload_wipe(upload)  # whatever happened, no uploaded bytes stay in temporary files
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["Content-Security-Policy"] = content_security_policy()  # no tile server either
        return response

    return wrapper


def _status_of(form) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- The tipster


@tipster_page
def new(request):
    form = forms.TipForm(request.POST or None,
                         initial={"language": request.LANGUAGE_CODE, "submission": secrets.token_urlsafe(16)})
    status = 200
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["submission"]
        if token and not throttle.submission_claim(token):
            return render(request, "tips/already_sent.html", status=409)
        try:
            receipt = services.tip_submit(data=form.tip_input(), files=request.FILES.getlist("files"),
                                          client_key=throttle.client_key(request))
        except Refused as exc:
            if token:
                throttle.submission_release(token)
            form.add_error(None, str(exc))
            status = 429 if isinstance(exc, Throttled) else 400
        else:
            return render(request, "tips/receipt.html", {"receipt": receipt}, status=201)
    return render(request, "tips/new.html", {"form": form}, status=max(status, _status_of(form)))


def _conversation(request, tip: Tip, *, reply_form=None, payout_code: str = "", notice: str = "",
                  status: int = 200):
    access = services.tipster_access_token(tip=tip)
    view = selectors.tipster_view(tip=tip)
    if reply_form is None:
        first_open = view.open_questions[0].pk if view.open_questions else None
        reply_form = forms.ReplyForm(initial={"answers": first_open, "submission": secrets.token_urlsafe(16)})
    return render(request, "tips/follow_up.html", {
        "view": view, "access": access, "reply_form": reply_form, "payout_code": payout_code, "notice": notice,
    }, status=status)


@tipster_page
def follow_up(request):
    form = forms.UnlockForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            tip = services.tip_unlock(code=form.cleaned_data["code"], passphrase=form.cleaned_data["passphrase"],
                                      client_key=throttle.client_key(request))
        except Throttled as exc:
            form.add_error(None, str(exc))
            status = 429
        except Refused as exc:
            form.add_error(None, str(exc))
            status = 400
        else:
            return _conversation(request, tip)
    return render(request, "tips/unlock.html", {"form": form}, status=status)


def _expired(request):
    notice = _("This page has been open too long. Enter your code and passphrase again.")
    return render(request, "tips/unlock.html", {"form": forms.UnlockForm(), "notice": notice}, status=400)


@tipster_page
@require_POST
def follow_up_reply(request):
    tip = services.tip_from_access_token(request.POST.get("access", ""))
    if tip is None:
        return _expired(request)
    form = forms.ReplyForm(request.POST)
    if form.is_valid():
        token = form.cleaned_data["submission"]
        if token and not throttle.submission_claim(token):
            return _conversation(request, tip, notice=_("This was already sent."), status=409)
        try:
            services.tipster_reply(tip=tip, body=form.cleaned_data["body"], answers=form.cleaned_data["answers"],
                                   files=request.FILES.getlist("files"))
        except Refused as exc:
            if token:
                throttle.submission_release(token)
            form.add_error(None, str(exc))
            return _conversation(request, tip, reply_form=form, status=400)
        return _conversation(request, tip, status=201)
    return _conversation(request, tip, reply_form=form, status=400)


@tipster_page
@require_POST
def follow_up_reward(request):
    tip = services.tip_from_access_token(request.POST.get("access", ""))
    if tip is None:
        return _expired(request)
    try:
        payout_code = services.tipster_reward_claim(tip=tip)
    except Refused as exc:
        return _conversation(request, tip, notice=str(exc), status=400)
    return _conversation(request, tip, payout_code=payout_code)


# --- Staff


@login_required
@never_cache
def queue(request):
    actor = actor_for_user(request.user)
    agencies = selectors.tip_agencies(actor=actor)
    form = forms.QueueFilterForm(request.GET or None, areas=selectors.agency_areas(agencies=agencies))
    filters = selectors.QueueFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.QueueFilters(status=data["status"], category=data["category"], priority=data["priority"],
                                         area_id=data["area"], age=data["age"])
    tips = selectors.tip_queue(actor=actor, filters=filters)[:200]
    return render(request, "tips/queue.html", {"form": form, "tips": tips})


@login_required
@never_cache
def detail(request, reference):
    actor = actor_for_user(request.user)
    tip = services.tip_open(actor=actor, tip=selectors.tip_get(actor=actor, reference=reference))
    context = {"tip": tip, "related": selectors.tip_related(actor=actor, tip=tip), "note_form": forms.NoteForm(),
               "message_form": forms.MessageForm(), "may": {}}
    for action in ("tip.triage", "tip.reward", "tip.legal_hold", "tip.relate", "tip.work"):
        context["may"][action.split(".")[1]] = may(actor, action, tip)
    if context["may"]["triage"]:
        context["triage_form"] = forms.TriageForm(
            initial={"status": tip.status, "priority": tip.priority, "disposition": tip.disposition,
                     "unit": tip.assigned_unit_id, "officer": tip.assigned_officer_id},
            units=tip.agency.units.all(), officers=selectors.assignable_officers(agency=tip.agency))
        context["refer_form"] = forms.ReferForm(partners=selectors.referral_partners(agency=tip.agency))
    else:
        context["status_form"] = forms.StatusForm(initial={"status": tip.status, "disposition": tip.disposition})
    context["reward_form"] = forms.RewardForm(initial={"amount": tip.reward_amount})
    context["hold_form"] = forms.HoldForm(initial={"on": tip.legal_hold, "reason": tip.legal_hold_reason})
    return render(request, "tips/detail.html", context)


def _staff_action(handler):
    """POST-only staff action on one tip: look it up (read rule), run the service, go back to the tip."""

    @login_required
    @require_POST
    @functools.wraps(handler)
    def wrapper(request, reference, **kwargs):
        actor = actor_for_user(request.user)
        tip = selectors.tip_get(actor=actor, reference=reference)
        try:
            message = handler(request, actor, tip, **kwargs)
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            if message:
                messages.success(request, message)
        return redirect("tips:detail", reference=tip.reference)

    return wrapper


def _valid(form):
    if not form.is_valid():
        raise Refused(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return form.cleaned_data


@_staff_action
def triage(request, actor, tip):
    data = _valid(forms.TriageForm(request.POST, units=tip.agency.units.all(),
                                   officers=selectors.assignable_officers(agency=tip.agency)))
    services.tip_triage(actor=actor, tip=tip, status=data["status"], priority=data["priority"],
                        disposition=data["disposition"], unit=data["unit"], officer=data["officer"])
    return _("Tip updated.")


@_staff_action
def status(request, actor, tip):
    data = _valid(forms.StatusForm(request.POST))
    services.tip_status_set(actor=actor, tip=tip, status=data["status"], disposition=data["disposition"])
    return _("Status changed.")


@_staff_action
def note(request, actor, tip):
    services.tip_note_add(actor=actor, tip=tip, body=_valid(forms.NoteForm(request.POST))["body"])
    return _("Note added.")


@_staff_action
def message(request, actor, tip):
    data = _valid(forms.MessageForm(request.POST))
    services.tip_message_send(actor=actor, tip=tip, body=data["body"], is_question=data["is_question"])
    return _("Sent. The tipster sees it when they come back with their code.")


@_staff_action
def reward(request, actor, tip):
    services.tip_reward_set(actor=actor, tip=tip, amount=_valid(forms.RewardForm(request.POST))["amount"])
    return _("Reward updated.")


@_staff_action
def hold(request, actor, tip):
    data = _valid(forms.HoldForm(request.POST))
    services.tip_legal_hold_set(actor=actor, tip=tip, on=data["on"], reason=data["reason"])
    return _("Legal hold updated.")


@_staff_action
def refer(request, actor, tip):
    data = _valid(forms.ReferForm(request.POST, partners=selectors.referral_partners(agency=tip.agency)))
    services.tip_refer(actor=actor, tip=tip, organisation=data["organisation"], purpose=data["purpose"])
    return _("A redacted copy was referred to %(name)s.") % {"name": data["organisation"].name}


@_staff_action
def related_decide(request, actor, tip, link_id):
    link = selectors.related_link_get(tip=tip, link_id=link_id)
    services.tip_related_decide(actor=actor, link=link, confirm=request.POST.get("decision") == "confirm")
    return _("Recorded.")


@login_required
def attachment(request, reference, attachment_id):
    actor = actor_for_user(request.user)
    tip = selectors.tip_get(actor=actor, reference=reference)
    item = services.tip_attachment_open(actor=actor, tip=tip, attachment_id=attachment_id)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="{tip.reference}-{item.pk}{_extension(item.file.name)}"'
    response["Cache-Control"] = "no-store"
    return response


def _extension(name: str) -> str:
    return name[name.rfind("."):] if "." in name else ""


# --- Agency admin: routing and retention


def _rule_agency(request, actor):
    agencies = selectors.rule_agencies(actor=actor)
    agency = agencies.filter(pk=request.GET.get("agency") or None).first() or agencies.first()
    if agency is None:
        raise PermissionDenied("tip.rules")
    return agency


def _routing_form(agency, data=None):
    return forms.RoutingRuleForm(data, units=agency.units.all(), officers=selectors.assignable_officers(agency=agency),
                                 partners=selectors.referral_partners(agency=agency))


@login_required
def routing(request):
    actor = actor_for_user(request.user)
    agency = _rule_agency(request, actor)
    form = _routing_form(agency, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.routing_rule_save(actor=actor, agency=agency, **form.cleaned_data)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Rule added."))
            return redirect("tips:routing")
    rules = selectors.routing_rules(actor=actor, agency=agency)
    return render(request, "tips/routing.html", {"form": form, "rules": rules, "agency": agency},
                  status=_status_of(form))


@login_required
@require_POST
def routing_delete(request, rule_id):
    actor = actor_for_user(request.user)
    services.routing_rule_delete(actor=actor, rule=selectors.routing_rule_get(actor=actor, rule_id=rule_id))
    messages.success(request, _("Rule removed."))
    return redirect("tips:routing")


@login_required
def retention(request):
    actor = actor_for_user(request.user)
    agency = _rule_agency(request, actor)
    form = forms.RetentionRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_rule_save(actor=actor, agency=agency, **form.cleaned_data)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Retention rule saved."))
            return redirect("tips:retention")
    rules = selectors.retention_rules(actor=actor, agency=agency)
    return render(request, "tips/retention.html", {"form": form, "rules": rules, "agency": agency,
                                                   "default_days": settings.TIP_RETENTION_DAYS},
                  status=_status_of(form))


@login_required
@require_POST
def retention_delete(request, rule_id):
    actor = actor_for_user(request.user)
    services.retention_rule_delete(actor=actor, rule=selectors.retention_rule_get(actor=actor, rule_id=rule_id))
    messages.success(request, _("Retention rule removed."))
    return redirect("tips:retention")


# --- Partners receiving referrals; the reward payout point


@login_required
def referrals(request):
    actor = actor_for_user(request.user)
    return render(request, "tips/referrals.html", {"referrals": selectors.referrals_for(actor=actor)})


@login_required
@require_POST
def referral_acknowledge(request, referral_id):
    actor = actor_for_user(request.user)
    services.referral_acknowledge(actor=actor, referral=selectors.referral_get(actor=actor, referral_id=referral_id))
    messages.success(request, _("Marked as received."))
    return redirect("tips:referrals")


@login_required
def payout(request):
    actor = actor_for_user(request.user)
    require(actor, "tip.payout_desk")
    form = forms.PayoutForm(request.POST or None)
    paid = None
    if request.method == "POST" and form.is_valid():
        try:
            paid = services.reward_payout(actor=actor, payout_code=form.cleaned_data["payout_code"])
        except Refused as exc:
            form.add_error(None, str(exc))
    return render(request, "tips/payout.html", {"form": form, "paid": paid}, status=_status_of(form))
