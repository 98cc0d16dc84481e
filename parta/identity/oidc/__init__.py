"""The ID's OpenID Connect provider (django-oauth-toolkit), mounted under ``/id/``."""
