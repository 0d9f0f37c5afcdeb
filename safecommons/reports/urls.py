from django.urls import path

from safecommons.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.my_reports, name="mine"),
    path("new/", views.report_new, name="new"),
    path("<int:request_id>/", views.report_detail, name="detail"),
    path("<int:request_id>/photo/", views.report_photo, name="photo"),
    path("staff/", views.queue, name="queue"),
    path("staff/<int:request_id>/", views.staff_detail, name="staff_detail"),
]
