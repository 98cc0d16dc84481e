"""The ID's screens under ``/id/``: sign-in, educational profile, recovery, account."""

from django.urls import URLPattern, URLResolver, path

from parta.identity.views import pages, profile, signin

app_name = "identity"
urlpatterns: list[URLPattern | URLResolver] = [
    # «Вход в {ID}» — the entry (``LOGIN_URL``), with ``?next=``; signed in and without ``next``: «Вы вошли».
    path("", signin.signin, name="signin"),
    path("password/", signin.password, name="password"),
    path("code/", signin.code, name="code"),
    path("code/resend/", signin.code_resend, name="code-resend"),
    path("code/other/", signin.code_other, name="code-other"),
    path("confirm/", profile.confirm, name="confirm"),
    path("profile/", profile.profile, name="profile"),
    path("profile/about/", profile.about, name="about"),
    path("other-account/", profile.other_account, name="other-account"),
    path("logout/", profile.sign_out, name="logout"),
    path("recovery/", pages.recovery, name="recovery"),
    path("terms/", pages.terms, name="terms"),
    path("privacy/", pages.privacy, name="privacy"),
]
