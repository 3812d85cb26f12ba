"""The history suite's admin: tracked models with HistoryAdmin, an untracked one without."""

from django.contrib import admin

from tidemark_history.admin import HistoryAdmin

from .models import Category, Item, Page


@admin.register(Item)
class ItemAdmin(HistoryAdmin):
    list_display = ["name", "price", "quantity"]


@admin.register(Page)
class PageAdmin(HistoryAdmin):
    list_display = ["title", "price"]


admin.site.register(Category)
