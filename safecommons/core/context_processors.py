from django.conf import settings

from safecommons.core.permissions import actor_for_user


def platform(request):
    user = getattr(request, "user", None)
    return {
        "platform_name": settings.PLATFORM_NAME,
        "actor": actor_for_user(user) if user is not None else None,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
