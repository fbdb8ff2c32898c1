from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import calendar_services
from .models import CalendarDay
from .params import posted_date
from .workdays import work_calendar


@login_not_required
@never_cache
def health(request):
    """For load balancers and `kehu` operators: the app answers and the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def home(request):
    """A rep's morning starts at My day; managers, directors, admins and viewers land on
    their dashboard (the team's or the company's figures)."""
    user = request.user
    if user.is_read_only or user.is_manager or user.sees_everything:
        return redirect("reports:dashboard")
    return redirect("followups:today")


def calendar_days(request):
    """The working-day calendar of a year: public holidays and make-up workdays, editable."""
    if not calendar_services.can_edit_calendar(request.user):
        raise Http404
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    year = year if 2000 <= year <= 2099 else timezone.localdate().year
    work_calendar(date(year, 6, 1))  # seeds the year (and its neighbours) if new
    if request.method == "POST":
        try:
            day = posted_date(request, "day")
            if day is None:
                raise ValidationError({"day": [_("Enter a date.")]})
            if request.POST.get("action") == "remove":
                calendar_services.remove_day(request.user, day)
            else:
                calendar_services.set_day(
                    request.user, day, request.POST.get("kind", ""), request.POST.get("name", "")
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Calendar saved."))
        return redirect(f"{request.path}?year={year}")
    return render(
        request,
        "core/calendar_days.html",
        {
            "year": year,
            "days": CalendarDay.objects.filter(day__year=year).select_related("changed_by"),
            "kinds": CalendarDay.Kind.choices,
        },
    )
