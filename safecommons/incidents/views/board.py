"""The live board (the real-time crime center view): the agency's live incidents on a map and in a list,
most urgent first, updated over a websocket without reloading."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from safecommons.core.permissions import actor_for_user
from safecommons.incidents.events import live_labels
from safecommons.incidents.selectors import board as board_selectors


@login_required
@never_cache
def board(request):
    state = board_selectors.board_state(actor=actor_for_user(request.user))
    return render(request, "incidents/board.html", {"state": state, "incidents": state.incidents,
                                                    "live_labels": live_labels()})


urlpatterns = [path("board/", board, name="board")]
