"""The REST API: one NinjaAPI, routers from each area, shared auth and error handling.

Every operation declares its auth in the OpenAPI document: `security` lists the accepted schemes,
`[]` marks a public operation, and `{}` among the schemes marks one that also answers anonymously.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import HttpBearer, SessionAuth

from safecommons.core.errors import Refused, Throttled
from safecommons.core.permissions import ANONYMOUS, Actor, actor_for_api_key, actor_for_user, require_scope


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer sc_<prefix>_<secret>`: an organisation's API key."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        from safecommons.partners.services import api_key_authenticate

        api_key = api_key_authenticate(presented=token)
        if api_key is not None:
            request.api_actor = actor_for_api_key(api_key)
        return api_key


class SignedInSession(SessionAuth):
    """A browser session (CSRF token required on writes); staff sessions have passed TOTP."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            request.api_actor = actor_for_user(user)
        return user


def anonymous(request):
    request.api_actor = ANONYMOUS
    return ANONYMOUS


api_key_auth = ApiKeyAuth()
session_auth = SignedInSession()
SIGNED_IN = [api_key_auth, session_auth]
SESSION_ONLY = [session_auth]
OPTIONAL = [api_key_auth, session_auth, anonymous]

PUBLIC_DOC = {"security": []}
OPTIONAL_DOC = {"security": [{}]}  # appended by ninja to the schemes it derives from `auth`


def request_actor(request: HttpRequest, scope: str | None = None) -> Actor:
    """The actor behind an API request, with the API key's scope checked when one is needed."""
    actor = getattr(request, "api_actor", ANONYMOUS)
    if scope:
        require_scope(actor, scope)
    return actor


api = NinjaAPI(
    title="SafeCommons API",
    version="1",
    description="Partners, places, agreements and the audit trail. Keys: `Authorization: Bearer sc_…`.",
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "not allowed"}, status=403)


@api.exception_handler(ObjectDoesNotExist)
def not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    if getattr(request, "upload_refused", False):
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        return api.create_response(request, {"detail": f"The upload is larger than the {limit} MB limit."},
                                   status=413)
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(Refused)
def refused(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=429 if isinstance(exc, Throttled) else 400)


def register_routers() -> None:
    from safecommons.accounts.api import router as accounts_router
    from safecommons.alerts.api import router as alerts_router
    from safecommons.cameras.api import router as cameras_router
    from safecommons.core.audit.api import router as audit_router
    from safecommons.crimedata.api import router as crime_router
    from safecommons.incidents.api import router as incidents_router
    from safecommons.partners.api import router as partners_router
    from safecommons.places.api import router as places_router
    from safecommons.tips.api import router as tips_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/partners", partners_router)
    api.add_router("/places", places_router)
    api.add_router("/audit", audit_router)
    api.add_router("/tips", tips_router)
    api.add_router("/cameras", cameras_router)
    api.add_router("/incidents", incidents_router)
    api.add_router("/crime", crime_router)
    api.add_router("/alerts", alerts_router)


register_routers()
