"""How a session's user is found again on every request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from safecommons.core.compiled import CompiledRead

USER_BACKEND = "safecommons.accounts.backends.UserBackend"


def _user_by_id(user_id: int):
    return get_user_model()._default_manager.filter(pk=user_id)


_USER_BY_ID = CompiledRead(_user_by_id, stand_ins=({"user_id": -1001}, {"user_id": 2002}, {"user_id": 30_000_001}))


class UserBackend(ModelBackend):
    """Django's model backend, whose lookup of a signed-in user by id (every request that carries a session)
    is compiled to SQL once (core/compiled.py). Signing in, permissions and `user_can_authenticate` are
    Django's own; the session's hash of the password is still checked by Django after the lookup."""

    def get_user(self, user_id):
        if type(user_id) is not int:
            return super().get_user(user_id)
        user = _USER_BY_ID.first(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
