"""The shop in the admin: the same pages in every release."""

from django.contrib import admin

from .models import Category, Product, Supplier


class ShopAdmin(admin.ModelAdmin):
    """The base of the shop's admin pages.

    The place for history's admin: once ``tidemark_history`` ships its ``HistoryAdmin``
    (an object's History page with diffs and "Revert to this version", a timeline, the
    Context admin), derive this class from it and both pages below get them.
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
class SupplierAdmin(ShopAdmin):
    list_display = ["name", "email"]
    search_fields = ["name"]
