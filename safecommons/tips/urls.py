from django.urls import path

from safecommons.tips import views

app_name = "tips"
urlpatterns = [
    # The tipster: no account, no cookie.
    path("", views.new, name="new"),
    path("follow-up/", views.follow_up, name="follow_up"),
    path("follow-up/reply/", views.follow_up_reply, name="follow_up_reply"),
    path("follow-up/reward/", views.follow_up_reward, name="follow_up_reward"),
    # Staff.
    path("queue/", views.queue, name="queue"),
    path("staff/<str:reference>/", views.detail, name="detail"),
    path("staff/<str:reference>/triage/", views.triage, name="triage"),
    path("staff/<str:reference>/status/", views.status, name="status"),
    path("staff/<str:reference>/note/", views.note, name="note"),
    path("staff/<str:reference>/message/", views.message, name="message"),
    path("staff/<str:reference>/reward/", views.reward, name="reward"),
    path("staff/<str:reference>/hold/", views.hold, name="hold"),
    path("staff/<str:reference>/refer/", views.refer, name="refer"),
    path("staff/<str:reference>/related/<int:link_id>/", views.related_decide, name="related_decide"),
    path("staff/<str:reference>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("routing/", views.routing, name="routing"),
    path("routing/<int:rule_id>/delete/", views.routing_delete, name="routing_delete"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:rule_id>/delete/", views.retention_delete, name="retention_delete"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/<int:referral_id>/acknowledge/", views.referral_acknowledge, name="referral_acknowledge"),
    path("payout/", views.payout, name="payout"),
]
