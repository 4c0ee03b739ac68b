"""Login throttling and lockout: the rules, and the counters kept in ``login_failure``.

Why in the database: counters in memory would reset on every restart and differ between
server processes, and a guesser would simply wait for the next deployment.

Failed logins are counted per account and per client address. After ``Rule.free`` failures in
a row every further attempt must wait, the wait doubling from ``FIRST_DELAY`` up to
``MAX_DELAY``; at ``Rule.lock`` failures the account (or address) is refused for ``LOCK_TIME``.
A refused attempt checks no password (no scrypt) and does not count. A success clears the
account's counter, never the address's (a guesser would log into their own account to reset
it); a counter untouched for ``FORGET_AFTER`` starts again from zero.

The account is a keyed hash (HMAC with the app's secret) of the typed login, so unknown logins
are throttled exactly like real ones (the answer never tells them apart) and what was typed is
not stored. The address is the request's ``remote_addr``: behind a reverse proxy that is the
proxy's, so configure werkzeug's ``ProxyFix`` there or every user shares one counter.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from geo_app.models import LoginFailure
from geo_app.models.sessions import ACCOUNT, ADDRESS


@dataclass(frozen=True)
class Rule:
    """Failures allowed before the waits begin (``free``) and the count that locks (``lock``)."""

    free: int
    lock: int


RULES: dict[str, Rule] = {
    ACCOUNT: Rule(free=5, lock=20),
    # Looser: one office or a mobile carrier may put many users behind one address.
    ADDRESS: Rule(free=10, lock=50),
}
FIRST_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=1)
LOCK_TIME = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Keys:
    """The counters one attempt touches: its account key and its address."""

    account: str
    address: str

    def pairs(self) -> list[tuple[str, str]]:
        return [(ACCOUNT, self.account), (ADDRESS, self.address)]


@dataclass(frozen=True)
class Refusal:
    """An attempt refused by the throttle: when the next may come, and how many seconds away."""

    retry_at: datetime
    seconds: int


def keys_for(login: str, address: str, secret: bytes) -> Keys:
    typed = login.strip().lower().encode("utf-8", "surrogatepass")
    return Keys(hmac.new(secret, typed, hashlib.sha256).hexdigest(), address or "unknown")


def delay_after(failures: int, rule: Rule) -> timedelta:
    """How long the next attempt must wait after ``failures`` failures in a row."""
    if failures >= rule.lock:
        return LOCK_TIME
    if failures < rule.free:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** (failures - rule.free), MAX_DELAY)


def _matching(keys: Keys) -> sa.ColumnElement[bool]:
    return sa.tuple_(LoginFailure.kind, LoginFailure.key).in_(keys.pairs())


def refusal(session: Session, keys: Keys) -> Refusal | None:
    """The refusal in force for this account or address (the later of the two), if any."""
    row = session.execute(
        sa.select(sa.func.max(LoginFailure.retry_after), sa.func.now()).where(
            _matching(keys), LoginFailure.retry_after > sa.func.now()
        )
    ).one()
    retry_at, now = row
    if retry_at is None:
        return None
    return Refusal(retry_at, max(1, math.ceil((retry_at - now).total_seconds())))


def record_failure(session: Session, keys: Keys) -> None:
    """Count one failure for the account and the address, and set their waits."""
    table = cast(sa.Table, LoginFailure.__table__)
    for kind, key in keys.pairs():
        fresh = table.c.last_failed_at > sa.func.now() - FORGET_AFTER
        upsert = insert(table).values(kind=kind, key=key, failures=1)
        failures = session.scalar(
            upsert.on_conflict_do_update(
                index_elements=[table.c.kind, table.c.key],
                set_={
                    "failures": sa.case((fresh, table.c.failures + 1), else_=1),
                    "last_failed_at": sa.func.now(),
                },
            ).returning(table.c.failures)
        )
        delay = delay_after(int(failures or 0), RULES[kind])
        if delay:
            session.execute(
                sa.update(table)
                .where(table.c.kind == kind, table.c.key == key)
                .values(retry_after=sa.func.now() + delay)
            )


def clear(session: Session, keys: Keys) -> None:
    """A successful login: the account starts again from zero (the address does not)."""
    session.execute(
        sa.delete(LoginFailure).where(
            LoginFailure.kind == ACCOUNT, LoginFailure.key == keys.account
        )
    )


def unlock(session: Session, account_key: str) -> bool:
    """An admin lifts an account's waits and lock (its address's stay); whether it had any."""
    result = session.execute(
        sa.delete(LoginFailure).where(LoginFailure.kind == ACCOUNT, LoginFailure.key == account_key)
    )
    return bool(getattr(result, "rowcount", 0))


def forget_old(session: Session) -> int:
    """Drop counters that no longer refuse anything and are past ``FORGET_AFTER``."""
    result = session.execute(
        sa.delete(LoginFailure).where(
            LoginFailure.last_failed_at < sa.func.now() - FORGET_AFTER,
            sa.or_(LoginFailure.retry_after.is_(None), LoginFailure.retry_after < sa.func.now()),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
