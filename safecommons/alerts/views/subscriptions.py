"""Alert pages: subscribe, confirm an email address, manage through the signed link or "My alerts",
unsubscribe in one click, and the agency's test list.

The unsubscribe page takes a POST without a CSRF token and without cookies: a mail client's one-click
button (RFC 8058) posts `List-Unsubscribe=One-Click` and nothing else, and the link itself is the proof."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from safecommons.alerts import forms, links, push_keys
from safecommons.alerts.models import Channel, Subscription
from safecommons.alerts.selectors import subscriptions as selectors
from safecommons.alerts.services import subscriptions as services
from safecommons.core.errors import Refused, Throttled
from safecommons.core.permissions import actor_for_user, require
from safecommons.tips import throttle


def _bad_link(request):
    return render(request, "alerts/manage_bad_link.html", status=404)


def _form_page(request, template: str, form, context: dict, status: int = 200):
    return render(request, template, {
        "form": form, "vapid_public_key": push_keys.vapid_public_key(),
        "radius_choices": services.RADIUS_CHOICES_M, **context,
    }, status=status)


@never_cache
def subscribe(request):
    actor = actor_for_user(request.user)
    initial = {"language": request.LANGUAGE_CODE if request.LANGUAGE_CODE in dict(settings.LANGUAGES) else "en"}
    if request.user.is_authenticated:
        initial["email"] = request.user.email
    form = forms.SubscriptionForm(request.POST or None, actor=actor, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            organisation = form.cleaned_data.get("organisation")
            try:
                created = services.subscription_create(
                    actor=actor, data=form.subscription_input(), organisation=organisation,
                    user=request.user if request.user.is_authenticated and organisation is None else None,
                    client_key=throttle.client_key(request))
            except Refused as exc:
                form.add_error(None, str(exc))
                status = 429 if isinstance(exc, Throttled) else status
            else:
                return _done(request, created)
    return _form_page(request, "alerts/subscribe.html", form, {}, status=status)


def _done(request, created: services.SubscriptionCreated, *, template: str = "alerts/subscribe_done.html"):
    subscription = created.subscription
    channels = list(subscription.channels.filter(active=True))
    has_email = any(c.channel == Channel.EMAIL for c in channels)
    # Without an email address (nor an account), the page is the only place the manage link can be given.
    show_link = not has_email and subscription.user_id is None and subscription.organisation_id is None
    return render(request, template, {
        "subscription": subscription, "channels": channels, "created": created,
        "manage_url": links.manage_url(subscription) if show_link else "",
    }, status=201 if template == "alerts/subscribe_done.html" else 200)


def _speak(request, subscription: Subscription) -> None:
    """Pages reached from a message speak the subscription's language."""
    translation.activate(subscription.language)
    request.LANGUAGE_CODE = subscription.language


@never_cache
def confirm(request, token: str):
    """GET asks (mail scanners open links on their own); POST confirms."""
    try:
        channel = links.confirm_target(token)
    except links.BadLink:
        return _bad_link(request)
    _speak(request, channel.subscription)
    if request.method != "POST":
        return render(request, "alerts/confirm.html", {"channel": channel, "subscription": channel.subscription})
    try:
        subscription = services.subscription_confirm(channel=channel)
    except Refused as exc:
        return render(request, "alerts/confirm.html", {"channel": channel, "error": str(exc)}, status=400)
    return render(request, "alerts/confirm_done.html", {
        "subscription": subscription, "manage_url": links.manage_url(subscription)})


@never_cache
def manage(request, token: str):
    """Manage without an account: the signed link is the key."""
    try:
        subscription = links.manage_target(token)
    except links.BadLink:
        return _bad_link(request)
    _speak(request, subscription)
    return _edit(request, subscription, action_url=request.path, via_link=True)


def _edit(request, subscription: Subscription, *, action_url: str, via_link: bool):
    if subscription.status == Subscription.Status.ENDED:
        return render(request, "alerts/manage_ended.html", {"subscription": subscription})
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    actor = None if via_link else actor_for_user(request.user)
    if action == "end":
        services.subscription_end(actor=actor, subscription=subscription)
        return render(request, "alerts/unsubscribe_done.html", {"subscription": subscription})
    if action == "new_link":
        subscription = services.subscription_links_rotate(subscription=subscription)
        has_email = subscription.channels.filter(channel=Channel.EMAIL, active=True,
                                                 confirmed_at__isnull=False).exists()
        return render(request, "alerts/manage_new_link.html", {
            "subscription": subscription, "emailed": has_email,
            "manage_url": "" if has_email or not via_link else links.manage_url(subscription)})
    form = forms.SubscriptionForm(request.POST or None, subscription=subscription,
                                  initial=forms.SubscriptionForm.initial_for(subscription))
    status = 200
    saved = None
    if action == "save":
        status = 400
        if form.is_valid():
            try:
                saved = services.subscription_update(subscription=subscription, data=form.subscription_input())
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                subscription = saved.subscription
                form = forms.SubscriptionForm(subscription=subscription,
                                              initial=forms.SubscriptionForm.initial_for(subscription))
                status = 200
    return _form_page(request, "alerts/manage.html", form, {
        "subscription": subscription, "action_url": action_url, "saved": saved, "via_link": via_link,
        "channels": [c for c in subscription.channels.all() if c.active],
    }, status=status)


@csrf_exempt
@never_cache
def unsubscribe(request, token: str):
    """GET shows one button; POST (the button, or a mail client's RFC 8058 one-click POST) unsubscribes."""
    try:
        channel = links.unsubscribe_target(token)
    except links.BadLink:
        return _bad_link(request)
    _speak(request, channel.subscription)
    if request.method != "POST":
        return render(request, "alerts/unsubscribe.html", {"channel": channel, "token": token})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    services.subscription_unsubscribe(target=channel, one_click=one_click)
    channel.refresh_from_db()
    return render(request, "alerts/unsubscribe_done.html", {"subscription": channel.subscription, "channel": channel})


@login_required
def mine(request):
    actor = actor_for_user(request.user)
    return render(request, "alerts/my_subscriptions.html", {
        "subscriptions": selectors.subscriptions_of(actor=actor),
    })


@login_required
def mine_edit(request, subscription_id: int):
    actor = actor_for_user(request.user)
    try:
        subscription = selectors.subscription_get(actor=actor, subscription_id=subscription_id)
    except Subscription.DoesNotExist:
        raise Http404 from None
    return _edit(request, subscription, action_url=request.path, via_link=False)


@login_required
def test_list(request):
    actor = actor_for_user(request.user)
    agencies = list(selectors.test_list_agencies(actor=actor))
    chosen = request.GET.get("agency") or request.POST.get("agency")
    agency = next((a for a in agencies if str(a.pk) == chosen), agencies[0] if agencies else None)
    if agency is None:
        require(actor, "alert.test_list", None)  # refuses: the actor keeps no agency's test list
    form = forms.TestListAddForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.test_list_add(actor=actor, agency=agency, email=form.cleaned_data["email"],
                                       language=form.cleaned_data["language"], label=form.cleaned_data["label"])
            except Refused as exc:
                form.add_error("email", str(exc))
            else:
                return redirect(f"{request.path}?agency={agency.pk}")
    return render(request, "alerts/test_list.html", {
        "agency": agency, "agencies": agencies, "form": form,
        "subscriptions": selectors.test_list(actor=actor, agency=agency),
    }, status=status)


@login_required
@require_POST
def test_list_remove(request, subscription_id: int):
    actor = actor_for_user(request.user)
    subscription = get_object_or_404(Subscription, pk=subscription_id, test_list=True)
    services.test_list_remove(actor=actor, subscription=subscription)
    return redirect(f"{reverse('alerts:test_list')}?agency={subscription.agency_id}")


urlpatterns = [
    path("subscribe/", subscribe, name="subscribe"),
    path("confirm/<str:token>/", confirm, name="confirm"),
    path("manage/<str:token>/", manage, name="manage"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("mine/", mine, name="mine"),
    path("mine/<int:subscription_id>/", mine_edit, name="mine_edit"),
    path("test-list/", test_list, name="test_list"),
    path("test-list/<int:subscription_id>/remove/", test_list_remove, name="test_list_remove"),
]
