"""The partitioned model in the admin, as any tracked model."""

from django.contrib import admin

from tidemark_history.admin import HistoryAdmin

from .models import Reading


@admin.register(Reading)
class ReadingAdmin(HistoryAdmin):
    list_display = ["sensor", "value"]
