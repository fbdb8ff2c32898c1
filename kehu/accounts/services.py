from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import LoginFailure, Team, User


@transaction.atomic
def create_team(name: str, parent: Team | None = None) -> Team:
    team = Team.objects.create(name=name, parent=parent)
    team.path = f"{parent.path if parent else '/'}{team.pk}/"
    team.save(update_fields=["path"])
    return team


@transaction.atomic
def move_team(team: Team, new_parent: Team | None) -> Team:
    if new_parent and new_parent.path.startswith(team.path):
        raise ValueError("A team cannot move under itself.")
    old_path = team.path
    new_path = f"{new_parent.path if new_parent else '/'}{team.pk}/"
    for t in Team.objects.filter(path__startswith=old_path):
        t.path = new_path + t.path[len(old_path) :]
        if t.pk == team.pk:
            t.parent = new_parent
        t.save(update_fields=["path", "parent"])
    team.refresh_from_db()
    return team


@transaction.atomic
def create_user(username, password, *, name="", role=User.Role.REP, team=None, email="", **extra):
    user = User(username=username, name=name, role=role, team=team, email=email, **extra)
    if role == User.Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def set_user_team(actor, user: User, team: Team | None) -> User:
    """Moves a user and their owned customers to another team, so managers' scopes follow."""
    from kehu.customers.models import Customer

    user.team = team
    user.save(update_fields=["team"])
    Customer.objects.filter(owner=user).update(team=team)
    return user


def set_language(user: User, language: str) -> None:
    if user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=user.pk).update(language=language)


# --- login throttling -------------------------------------------------------------------------
def _window_start():
    return timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_blocked(username: str, ip: str | None) -> bool:
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    limit = settings.LOGIN_FAILURE_LIMIT
    if recent.filter(username=username.lower()).count() >= limit:
        return True
    # an address gets more room than a name: an office shares one address
    return bool(ip) and recent.filter(ip=ip).count() >= limit * 4


def record_login_failure(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], ip=ip or None)
    LoginFailure.objects.filter(at__lt=timezone.now() - timedelta(days=1)).delete()


def clear_login_failures(username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()
