"""Template tags for the integration's entry points inside the journal's pages."""

from __future__ import annotations

from django import template

from parta.integration import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def sferum_linked(context: template.Context) -> bool:
    """Is the signed-in account linked to an educational profile?"""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return queries.linked(account_id=user.pk) is not None
