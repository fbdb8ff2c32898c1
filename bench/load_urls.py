"""bench/load.py's URLconf: Kehu's URLs plus /_bare/, the ceiling of the load run — a Django
view through the same gunicorn and middleware stack that touches no database, session or
template (marked login_not_required, so the session is never loaded)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from kehu.urls import urlpatterns as kehu_urlpatterns


@login_not_required
def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("_bare/", bare), *kehu_urlpatterns]
