from django.urls import path

from safecommons.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_totp, name="totp"),
    path("sign-in/set-up-app/", views.sign_in_enrol, name="enrol"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("register/", views.register, name="register"),
    path("me/", views.account, name="account"),
]
