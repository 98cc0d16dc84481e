from django.urls import path

from parta.integration import link_requests, views, webhooks

app_name = "integration"

urlpatterns = [
    path("", views.section, name="section"),
    path("connect/", views.connect, name="connect"),
    path("callback/", views.callback, name="callback"),
    path("consent/", views.consent, name="consent"),
    path("unlink/", views.unlink, name="unlink"),
    path("messenger/", link_requests.start, name="link-request"),  # manual 003
    path("webhooks/sphere/", webhooks.receive, name="webhooks"),
]
