"""The ID's screens under ``/id/``: sign-in, educational profile, recovery, account."""

from django.urls import URLPattern, URLResolver, path

from parta.identity.views import account, pages, profile, recovery, signin

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
    # Recovery (manual 001): phone → SMS code → the account → a second way → the new password.
    path("recovery/", recovery.start, name="recovery"),
    path("recovery/code/", recovery.code, name="recovery-code"),
    path("recovery/code/resend/", recovery.code_resend, name="recovery-code-resend"),
    path("recovery/account/", recovery.account, name="recovery-account"),
    path("recovery/method/", recovery.method, name="recovery-method"),
    path("recovery/app/", recovery.totp, name="recovery-totp"),
    path("recovery/email/", recovery.email, name="recovery-email"),
    path("recovery/email/resend/", recovery.email_resend, name="recovery-email-resend"),
    path("recovery/friends/", recovery.friends, name="recovery-friends"),
    path("recovery/support/", recovery.support, name="recovery-support"),
    path("recovery/password/", recovery.password, name="recovery-password"),
    # The account page (flow 7).
    path("account/", account.overview, name="account"),
    path("account/reauth/", account.reauth, name="account-reauth"),
    path("account/phone/", account.phone, name="account-phone"),
    path("account/password/", account.password, name="account-password"),
    path("account/app/", account.totp, name="account-totp"),
    path("account/app/remove/", account.totp_remove, name="account-totp-remove"),
    path("account/email/", account.email, name="account-email"),
    path("account/email/remove/", account.email_delete, name="account-email-remove"),
    path("account/friends/", account.friends, name="account-friends"),
    path("account/friends/<int:friend_id>/remove/", account.friend_delete, name="account-friend-remove"),
    path("account/sessions/end/", account.sessions_end, name="account-sessions-end"),
    path(
        "account/services/<int:application_id>/disconnect/",
        account.service_revoke,
        name="account-service-disconnect",
    ),
    path("terms/", pages.terms, name="terms"),
    path("privacy/", pages.privacy, name="privacy"),
]
