from ninja import Router, Schema

from safecommons.core.api import SIGNED_IN, request_actor

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    role: str


class MeOut(Schema):
    label: str
    roles: list[str]
    memberships: list[MembershipOut]
    api_scopes: list[str]


@router.get("/me", response=MeOut, auth=SIGNED_IN)
def me(request):
    """Who the API sees: the signed-in person or the organisation's key, with roles and scopes."""
    actor = request_actor(request)
    return MeOut(label=actor.label, roles=sorted(actor.roles), api_scopes=sorted(actor.api_scopes),
                 memberships=[MembershipOut(**m.__dict__) for m in actor.memberships])
