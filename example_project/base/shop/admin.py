"""The shop in the admin: the same pages in every release."""

from django.contrib import admin

from tidemark_history.admin import HistoryAdmin

from .models import Category, Product, Supplier


class ShopAdmin(HistoryAdmin):
    """The base of the shop's admin pages: ``tidemark_history``'s ``HistoryAdmin``.

    Each tracked model's page gets its History (who, when, why, the diff, "Revert to this
    version") and its deleted rows; the timeline and the contexts are under "Tidemark
    history". Suppliers are not tracked: their page is a plain ``ModelAdmin``.
    """


@admin.register(Category)
class CategoryAdmin(ShopAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Product)
class ProductAdmin(ShopAdmin):
    list_display = ["name", "category", "price", "in_stock"]
    list_filter = ["category", "in_stock"]
    search_fields = ["name"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "email"]
    search_fields = ["name"]
