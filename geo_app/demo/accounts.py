"""Demo logins, so `make run` can be tried at once: one per kind of user the programme has.

They exist only in a database that holds demo data (load-demo makes them) and share one
published password; a real deployment creates its users with ``geo-app create-user``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.models import User
from geo_app.services.accounts.users import create_user

DEMO_PASSWORD = "demo-khongmatuy"
"""Published in the README: demo accounts guard demo data only."""

DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("quantri", "admin", None),  # the administrator: national scope (only admins have it)
    ("vinhlong", "commander", "86"),  # Vĩnh Long province (Trà Vinh merged into it in 2025)
    ("canbo.hoaminh", "officer", "29410"),  # a field officer of the commune Hòa Minh
    ("xem.vinhlong", "viewer", "86"),  # read-only, Vĩnh Long
)
"""(login, role, scope unit code or None for national)."""


def create_demo_accounts(session: Session, *, actor: str) -> int:
    """Add the demo logins that do not exist yet; returns how many were added."""
    added = 0
    for login, role, scope in DEMO_ACCOUNTS:
        if session.scalar(sa.select(sa.exists().where(User.login == login))):
            continue
        create_user(
            session, login=login, password=DEMO_PASSWORD, role=role, scope_code=scope, actor=actor
        )
        added += 1
    return added
