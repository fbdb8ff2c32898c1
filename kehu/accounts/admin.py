from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Team, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "path"]
    readonly_fields = ["path"]

    def save_model(self, request, obj, form, change):
        # the tree path is kept by the service, whatever the admin form changed
        if change:
            obj.save(update_fields=["name"])
            services.move_team(obj, obj.parent)
        else:
            created = services.create_team(obj.name, obj.parent)
            obj.pk, obj.path = created.pk, created.path


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "name", "role", "team", "seniority", "capacity", "is_active"]
    list_filter = ["role", "team", "is_active"]
    search_fields = ["username", "name", "email"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Kehu"), {"fields": ["name", "role", "team", "phone", "language"]}),
        (_("Capacity"), {"fields": ["seniority", "capacity", "customer_limit"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Kehu"), {"fields": ["name", "role", "team"]}),
    ]

    def save_model(self, request, obj, form, change):
        team_changed = change and "team" in form.changed_data
        super().save_model(request, obj, form, change)
        if team_changed:
            # the user's customers follow them, so managers' scopes stay right
            services.set_user_team(request.user, obj, obj.team)
