from django.urls import path

from parta.journal.views import account_settings, auth, pages

app_name = "journal"

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/staff/", auth.login_view, {"staff": True}, name="login-staff"),
    path("login/gosuslugi/", auth.gosuslugi, name="gosuslugi"),
    path("login/forgot/", auth.forgot_password, name="forgot-password"),
    path("logout/", auth.logout_view, name="logout"),
    path("schedule/", pages.schedule, name="schedule"),
    path("role/", pages.role_switch, name="role-switch"),
    path("chats/", pages.chats, name="chats"),
    path("help/", pages.help_page, name="help"),
    path("settings/", account_settings.profile, name="settings"),
    path("settings/password/", account_settings.password, name="settings-password"),
    path("settings/partners/", account_settings.partners, name="settings-partners"),
    path("settings/security/", account_settings.security, name="settings-security"),
]
