"""URLs of a district's portfolio import and of the exports (included from dpa_portal/urls.py)."""

from django.urls import path

from .views import exports, imports

urlpatterns = [
    path("district/<slug:slug>/import/", imports.import_page, name="portfolio_import"),
    path("district/<slug:slug>/import/template.csv", imports.template_csv, name="portfolio_import_template_csv"),
    path("district/<slug:slug>/import/template.xlsx", imports.template_xlsx, name="portfolio_import_template_xlsx"),
    path("district/<slug:slug>/import/<int:pk>/", imports.import_job, name="portfolio_import_job"),
    path("district/<slug:slug>/import/<int:pk>/progress/", imports.import_progress, name="portfolio_import_progress"),
    path("district/<slug:slug>/import/<int:pk>/confirm/", imports.import_confirm_view, name="portfolio_import_confirm"),
    path("district/<slug:slug>/import/<int:pk>/cancel/", imports.import_cancel_view, name="portfolio_import_cancel"),
    path("district/<slug:slug>/import/<int:pk>/report.csv", imports.import_report, name="portfolio_import_report"),
]

# The export (issue 12.6): a district's admins, and a vendor's for its own agreements; the URL's side says which.
for side in ("district", "vendor"):
    kwargs = {"side": side}
    urlpatterns += [
        path(f"{side}/<slug:slug>/export/", exports.export_page, kwargs, name=f"{side}_export"),
        path(f"{side}/<slug:slug>/export/<int:pk>/", exports.export_progress, kwargs, name=f"{side}_export_progress"),
        path(
            f"{side}/<slug:slug>/export/download/<str:token>/",
            exports.export_download,
            kwargs,
            name=f"{side}_export_download",
        ),
    ]
