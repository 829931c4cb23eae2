"""URLs of a district's portfolio import and of the exports (included from dpa_portal/urls.py)."""

urlpatterns = []
