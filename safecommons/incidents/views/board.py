from django.http import HttpResponse
from django.urls import path


def board(request):  # replaced by the live board
    return HttpResponse(status=404)


urlpatterns = [path("board/", board, name="board")]
