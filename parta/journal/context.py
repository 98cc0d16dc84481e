"""What every journal page's header needs: the roles, the active one, the section name."""

from __future__ import annotations

from django.http import HttpRequest

from parta.journal import queries
from parta.journal.models import Account


def journal(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, Account) or request.path.startswith("/admin/"):
        return {}
    roles = queries.account_roles(user)
    chosen = request.session.get("journal_role")
    role = chosen if chosen in roles else (roles[0] if roles else None)
    return {
        "journal_roles": [(key, queries.ROLE_LABELS[key]) for key in roles],
        "journal_role": role,
        "journal_role_label": queries.ROLE_LABELS.get(role or "", ""),
        # Staff keep a «Журнал», families a «Дневник».
        "journal_section": "Журнал" if role in queries.STAFF_ROLES or not roles else "Дневник",
    }
