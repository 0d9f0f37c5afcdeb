from django.conf import settings
from django.utils.functional import SimpleLazyObject

from safecommons.core.permissions import actor_for_user


def platform(request):
    user = getattr(request, "user", None)
    actor = actor_for_user(user) if user is not None else None
    return {
        "platform_name": settings.PLATFORM_NAME,
        "actor": actor,
        # Read only by pages that show the signed-in menu, and only then.
        "camera_notices_unread": SimpleLazyObject(lambda: _camera_notices_unread(actor)),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


def _camera_notices_unread(actor) -> int:
    if actor is None or actor.user_id is None:
        return 0
    from safecommons.cameras.selectors.notices import owner_notices_unread_count

    return owner_notices_unread_count(actor=actor)
