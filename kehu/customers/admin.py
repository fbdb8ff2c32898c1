from django.contrib import admin

from .models import Channel, Industry, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "color"]
    list_filter = ["group"]


admin.site.register(Industry)
admin.site.register(Channel)
