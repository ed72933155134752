"""URLs of the demo project: the admin shows what the imports wrote."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
