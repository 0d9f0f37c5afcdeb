from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from safecommons.accounts import services
from safecommons.accounts.backends import USER_BACKEND
from safecommons.accounts.forms import CodeForm, RegisterForm, SignInForm
from safecommons.accounts.models import User
from safecommons.accounts.selectors import account_overview
from safecommons.accounts.services import SignIn
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.incidents.selectors import commendations as commendation_selectors

PENDING = "pending_sign_in_user"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def _locked_message(result) -> str:
    return _("Too many failed attempts. This account is locked until %(time)s.") % {
        "time": time_format(result.locked_until.astimezone(), "H:i")
    }


def sign_in(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.sign_in_password(email=form.cleaned_data["email"], password=form.cleaned_data["password"])
        if result.outcome == SignIn.OK:
            login(request, result.user, backend=USER_BACKEND)
            return redirect(_next_url(request))
        if result.outcome in (SignIn.NEEDS_TOTP, SignIn.NEEDS_ENROLMENT):
            request.session[PENDING] = result.user.pk
            step = "accounts:totp" if result.outcome == SignIn.NEEDS_TOTP else "accounts:enrol"
            return redirect(f"{reverse(step)}?next={_next_url(request)}")
        if result.outcome == SignIn.LOCKED:
            form.add_error(None, _locked_message(result))
        else:
            form.add_error(None, _("That email and password do not match."))
    return render(request, "accounts/sign_in.html", {"form": form, "next": _next_url(request)})


def _pending_user(request) -> User | None:
    user_id = request.session.get(PENDING)
    return User.objects.filter(pk=user_id, is_active=True).first() if user_id else None


def _finish(request, user: User, device):
    request.session.pop(PENDING, None)
    login(request, user, backend=USER_BACKEND)
    otp_login(request, device)
    return redirect(_next_url(request))


def sign_in_totp(request):
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result, device = services.sign_in_totp(user=user, token=form.cleaned_data["token"])
        if result.outcome == SignIn.OK:
            return _finish(request, user, device)
        if result.outcome == SignIn.LOCKED:
            request.session.pop(PENDING, None)
            messages.error(request, _locked_message(result))
            return redirect("accounts:sign_in")
        form.add_error("token", _("That code is not right. Codes change every 30 seconds."))
    return render(request, "accounts/totp.html", {"form": form, "next": _next_url(request)})


def sign_in_enrol(request):
    """First sign-in of a staff member: set up an authenticator app before going further."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:sign_in")
    device = services.mfa_enrolment_begin(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = services.mfa_enrolment_confirm(user=user, token=form.cleaned_data["token"])
        if confirmed is not None:
            return _finish(request, user, confirmed)
        form.add_error("token", _("That code is not right. Check the app shows SafeCommons and try the new code."))
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/enrol.html", {"form": form, "qr_svg": buffer.getvalue().decode(),
                                                   "secret": secret, "next": _next_url(request)})


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        services.signed_out(user=request.user)
    logout(request)
    return redirect("core:home")


def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.resident_register(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"], language=request.LANGUAGE_CODE,
            )
        except ValidationError as exc:
            form.add_error("password", exc)
        except Refused as exc:
            form.add_error("email", str(exc))
        else:
            login(request, user, backend=USER_BACKEND)
            messages.success(request, _("Welcome! Your resident account is ready."))
            return redirect("places:find")
    return render(request, "accounts/register.html", {"form": form})


@login_required
def account(request):
    context = account_overview(user=request.user)
    context["commendations"] = commendation_selectors.commendations_for_recipient(actor=actor_for_user(request.user))
    return render(request, "accounts/account.html", context)
