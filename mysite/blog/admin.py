"""Admin for the blog: browse what an import wrote, search by natural key, import.

ImportAdminMixin adds the Import button and pages (upload, preview, confirm).
"""

from django.contrib import admin

from importers.admin import ImportAdminMixin

from .models import Author, Category, Post, Tag


@admin.register(Author)
class AuthorAdmin(ImportAdminMixin, admin.ModelAdmin):
    list_display = ["username", "name", "email"]
    search_fields = ["username", "name", "email"]


@admin.register(Category)
class CategoryAdmin(ImportAdminMixin, admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]


@admin.register(Tag)
class TagAdmin(ImportAdminMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Post)
class PostAdmin(ImportAdminMixin, admin.ModelAdmin):
    list_display = ["slug", "title", "author", "category", "status", "published_at"]
    list_filter = ["status", "category"]
    search_fields = ["slug", "title"]
    list_select_related = ["author", "category"]
    autocomplete_fields = ["author", "category", "tags"]
    date_hierarchy = "published_at"
