"""The outbox: repository functions on the ``deliveries`` table (and the chat changes
Telegram's answers call for). None of them commits; the caller owns the transaction.

A delivery's life::

    pending ──claim──▶ sending ──every part accepted──▶ sent
       ▲                  │
       └──reschedule──────┤ (429 with a long wait, transient error: due_at moves on)
                          └──────────────────────────▶ failed (last_error says why)

The rendered messages live in ``delivery_bodies``, once per distinct render: a morning
push to 100,000 subscribers in six cuts stores six bodies, and a claim reads each body
once.

A claim is a lease: ``claimed_by`` an instance until ``lease_until``. A claim whose lease
ran out (its instance died) is claimable again; ``parts_sent`` says where to resume.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Exists,
    Integer,
    Row,
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.clock import as_utc, utcnow
from digestbot.present.push import PushMessage
from digestbot.store import chats
from digestbot.store.db import upsert_insert
from digestbot.store.models import Delivery, DeliveryBody, DeliveryKind, DeliveryState

_INSERT_CHUNK = 500
# ids in one ``IN (...)``: SQLite and asyncpg cap a statement's parameters at ~32,767, and
# a broadcast to 50,000 subscribers must not come near that (as in store/search_index.py)
ID_CHUNK = 500

T = TypeVar("T")

# A stored part: its text, inline buttons and link preview (``PushMessage.to_json``: a
# bare string when it is only text, as every part stored before buttons existed).
Part = PushMessage


def part_of(part: str | Part) -> Part:
    return part if isinstance(part, Part) else Part(part)


def chunked(items: Sequence[T], size: int = ID_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def target_key(prefix: str, chat_id: int, thread_id: int) -> str:
    """A dedupe key ends with its target, ``…:chat_id:thread_id`` (migrations rewrite it)."""
    return f"{prefix}:{chat_id}:{thread_id}"


def retarget_key(key: str, old_chat_id: int, new_chat_id: int) -> str:
    prefix, chat, thread = key.rsplit(":", 2)
    return target_key(prefix, new_chat_id, int(thread)) if chat == str(old_chat_id) else key


@dataclass(frozen=True, slots=True)
class NewDelivery:
    dedupe_key: str
    kind: DeliveryKind
    chat_id: int
    thread_id: int
    parts: Sequence[str | Part]
    day: dt.date | None = None
    due_at: dt.datetime | None = None


@dataclass(slots=True)
class Claimed:
    """A claimed delivery as the engine works on it (mutable: chat id, progress)."""

    id: int
    dedupe_key: str
    kind: str
    chat_id: int
    thread_id: int
    parts: list[Part]
    parts_sent: int
    attempts: int


async def existing_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunked(list(keys)):
        rows = await session.scalars(
            select(Delivery.dedupe_key).where(Delivery.dedupe_key.in_(chunk))
        )
        found.update(rows)
    return found


async def add_deliveries(
    session: AsyncSession, items: Sequence[NewDelivery], *, now: dt.datetime | None = None
) -> int:
    """Queue deliveries; one whose ``dedupe_key`` is already queued is skipped (whatever
    its state). Returns how many were queued.

    Rendered messages are stored once per distinct render (``delivery_bodies``) and
    referenced; rows are inserted by one statement compiled once, with the rows as
    parameters (on PostgreSQL one array per column). At 100,000 subscribers a copy of the
    rendered push in every row, and a statement with the rows written into it, each cost
    more than the rest of the push together."""
    now = now or utcnow()
    bodies = await _body_ids(session, [d.parts for d in items], now)
    if session.bind.dialect.name == "postgresql":
        return await _add_postgresql(session, items, bodies, now)
    stmt = (
        upsert_insert(session)(Delivery)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Delivery.id)
    )
    conn = await session.connection()
    added = 0
    for i in range(0, len(items), _INSERT_CHUNK):
        rows: list[dict[str, Any]] = [
            {
                "dedupe_key": d.dedupe_key,
                "kind": d.kind,
                "chat_id": d.chat_id,
                "thread_id": d.thread_id,
                "day": d.day,
                "parts": [],
                "body_id": body_id,
                "parts_sent": 0,
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "last_error": "",
                "due_at": d.due_at or now,
                "claimed_by": "",
                "created_at": now,
            }
            for d, body_id in zip(
                items[i : i + _INSERT_CHUNK], bodies[i : i + _INSERT_CHUNK], strict=True
            )
        ]
        # one cached statement, executemany: SQLAlchemy batches the rows into multi-row
        # INSERTs itself ("insertmanyvalues"), keeping RETURNING
        added += len((await conn.execute(stmt, rows)).all())
    return added


# PostgreSQL: the rows as one array per column, unnested by the server: one statement
# of seven parameters for thousands of rows (executemany spends its time on parameters)
_PG_INSERT = text(
    "INSERT INTO deliveries (dedupe_key, kind, chat_id, thread_id, day, parts, body_id, "
    "parts_sent, state, attempts, last_error, due_at, claimed_by, created_at) "
    "SELECT k, kd, c, t, d, CAST('[]' AS JSON), b, 0, :state, 0, '', du, '', :now "
    "FROM unnest(:keys, :kinds, :chats, :threads, :days, :bodies, :dues) "
    "AS u(k, kd, c, t, d, b, du) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
).bindparams(
    bindparam("keys", type_=postgresql.ARRAY(String)),
    bindparam("kinds", type_=postgresql.ARRAY(String)),
    bindparam("chats", type_=postgresql.ARRAY(BigInteger)),
    bindparam("threads", type_=postgresql.ARRAY(Integer)),
    bindparam("days", type_=postgresql.ARRAY(Date)),
    bindparam("bodies", type_=postgresql.ARRAY(Integer)),
    bindparam("dues", type_=postgresql.ARRAY(DateTime(timezone=True))),
    bindparam("now", type_=DateTime(timezone=True)),
)
_PG_CHUNK = 5_000
_ANALYZE_AFTER = 1_000


async def _add_postgresql(
    session: AsyncSession, items: Sequence[NewDelivery], bodies: Sequence[int], now: dt.datetime
) -> int:
    added = 0
    for i in range(0, len(items), _PG_CHUNK):
        chunk = items[i : i + _PG_CHUNK]
        params = {
            "keys": [d.dedupe_key for d in chunk],
            "kinds": [str(d.kind) for d in chunk],
            "chats": [d.chat_id for d in chunk],
            "threads": [d.thread_id for d in chunk],
            "days": [d.day for d in chunk],
            "bodies": list(bodies[i : i + _PG_CHUNK]),
            "dues": [d.due_at or now for d in chunk],
            "state": str(DeliveryState.PENDING),
            "now": now,
        }
        added += len((await session.execute(_PG_INSERT, params)).all())
    if added >= _ANALYZE_AFTER:
        # the planner's idea of the outbox must follow a big push at once (autovacuum
        # comes within a minute or so): with "a few rows pending" in its statistics a
        # claim reads and sorts every pending row instead of the first of the index
        await session.execute(text("ANALYZE deliveries"))
    return added


def _body_key(parts: Sequence[Any]) -> str:
    text = json.dumps(list(parts), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def _body_ids(
    session: AsyncSession, renders: Sequence[Sequence[Any]], now: dt.datetime
) -> list[int]:
    """The id of each render's stored body (stored now when new): one row per distinct
    render, however many deliveries send it."""
    by_object: dict[int, str] = {}  # the renderer hands the same list to every target
    texts: dict[str, list[Any]] = {}
    for parts in renders:
        if id(parts) not in by_object:
            encoded = [part_of(p).to_json() for p in parts]
            digest = _body_key(encoded)
            by_object[id(parts)] = digest
            texts.setdefault(digest, encoded)
    if not texts:
        return []
    insert = upsert_insert(session)(DeliveryBody).on_conflict_do_nothing(index_elements=["sha256"])
    await session.execute(
        insert, [{"sha256": k, "parts": v, "created_at": now} for k, v in texts.items()]
    )
    ids: dict[str, int] = {}
    for chunk in chunked(list(texts)):
        found = await session.execute(
            select(DeliveryBody.sha256, DeliveryBody.id).where(DeliveryBody.sha256.in_(chunk))
        )
        ids.update(found.tuples().all())
    return [ids[by_object[id(parts)]] for parts in renders]


# the hot statements (claim, "part sent") are Core statements on the table: the ORM's
# bulk UPDATE path costs several times their compile-and-bind time per execution
_DELIVERIES = cast(Table, Delivery.__table__)
_D = _DELIVERIES.c
_OTHER = _DELIVERIES.alias("other")


async def _claim(
    session: AsyncSession,
    condition: ColumnElement[bool],
    busy: Exists,
    instance: str,
    until: dt.datetime,
    limit: int,
) -> Sequence[Row[Any]]:
    """Claim up to ``limit`` rows meeting ``condition`` (oldest first, none to a busy
    chat) for ``instance`` until ``until``: ``SELECT id … FOR UPDATE SKIP LOCKED``, then
    ``UPDATE … WHERE id IN (those ids)`` (by primary key: ``IN (SELECT …)`` made
    PostgreSQL scan the table). The update asks the same again: on PostgreSQL the rows
    stay locked in between, but SQLite runs the ``SELECT`` before its transaction
    begins, so another process may have claimed one of them meanwhile."""
    candidates = (
        select(_D.id)
        .where(condition, ~busy)
        .order_by(_D.due_at, _D.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(candidates)).scalars())
    if not ids:
        return []
    stmt = (
        update(_DELIVERIES)
        .where(_D.id.in_(ids), condition, ~busy)
        .values(state=DeliveryState.SENDING, claimed_by=instance, lease_until=until)
        .returning(
            _D.id,
            _D.dedupe_key,
            _D.kind,
            _D.chat_id,
            _D.thread_id,
            _D.parts,
            _D.body_id,
            _D.parts_sent,
            _D.attempts,
            _D.due_at,
        )
    )
    return (await session.execute(stmt)).all()


async def claim_due(
    session: AsyncSession, *, instance: str, now: dt.datetime, limit: int, lease: float
) -> list[Claimed]:
    """Claim up to ``limit`` due deliveries (oldest first) for ``instance``: first
    those whose lease ran out (their instance died), then those due.

    Each takes its rows with ``SELECT … FOR UPDATE SKIP LOCKED``, so on PostgreSQL
    concurrent instances skip each other's rows instead of waiting or sharing them, and
    on SQLite (one writer at a time) the claim is atomic. Each reads
    an index range in claim order (``ix_deliveries_claim``) and stops after ``limit``
    rows: the cost of a claim is its batch, not the outbox. A chat that another live
    claim is sending to is left alone, so one chat gets one delivery at a time.
    """
    busy = exists().where(
        _OTHER.c.chat_id == _D.chat_id,
        _OTHER.c.state == DeliveryState.SENDING,
        _OTHER.c.lease_until >= now,
    )
    until = now + dt.timedelta(seconds=lease)
    expired = and_(_D.state == DeliveryState.SENDING, _D.lease_until < now)
    rows = list(await _claim(session, expired, busy, instance, until, limit))
    if len(rows) < limit:
        due = and_(_D.state == DeliveryState.PENDING, _D.due_at <= now)
        rows += await _claim(session, due, busy, instance, until, limit - len(rows))
    rows.sort(key=lambda r: (r.due_at, r.id))
    stored = await _bodies(session, {r.body_id for r in rows if r.body_id is not None})
    # a stored render is parsed once for every delivery that shares it
    bodies = {body_id: [Part.from_json(p) for p in parts] for body_id, parts in stored.items()}
    return [
        Claimed(
            r.id,
            r.dedupe_key,
            r.kind,
            r.chat_id,
            r.thread_id,
            list(bodies[r.body_id])
            if r.body_id is not None
            else [Part.from_json(p) for p in r.parts],
            r.parts_sent,
            r.attempts,
        )
        for r in rows
    ]


async def queued_parts(session: AsyncSession, keys: Iterable[str]) -> dict[str, list[Part]]:
    """The rendered messages queued under each of ``keys`` (those queued)."""
    found: dict[str, list[Part]] = {}
    for chunk in chunked(list(keys)):
        rows = await session.execute(
            select(Delivery.dedupe_key, Delivery.parts, DeliveryBody.parts)
            .outerjoin(DeliveryBody, DeliveryBody.id == Delivery.body_id)
            .where(Delivery.dedupe_key.in_(chunk))
        )
        found.update(
            (key, [Part.from_json(p) for p in (body or own)]) for key, own, body in rows.tuples()
        )
    return found


async def _bodies(session: AsyncSession, ids: set[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for chunk in chunked(sorted(ids)):
        rows = await session.execute(
            select(DeliveryBody.id, DeliveryBody.parts).where(DeliveryBody.id.in_(chunk))
        )
        found.update(rows.tuples().all())
    return found


def _mine(delivery_id: int, instance: str):  # type: ignore[no-untyped-def]
    return and_(
        Delivery.id == delivery_id,
        Delivery.claimed_by == instance,
        Delivery.state == DeliveryState.SENDING,
    )


async def _update_mine(
    session: AsyncSession, delivery_id: int, instance: str, **values: object
) -> bool:
    result = await session.execute(
        update(Delivery)
        .where(_mine(delivery_id, instance))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PartSent:
    """Telegram accepted part ``parts_sent`` (1-based) of delivery ``delivery_id``."""

    delivery_id: int
    parts_sent: int
    done: bool
    paid: bool = False  # sent with allow_paid_broadcast (counted in paid_sends)


async def mark_part_sent(
    session: AsyncSession,
    delivery_id: int,
    instance: str,
    *,
    parts_sent: int,
    done: bool,
    now: dt.datetime,
    lease: float,
) -> bool:
    """Record that Telegram accepted part ``parts_sent`` (1-based). False: the claim was
    lost (the lease ran out and someone else took the delivery) — stop working on it."""
    progress = [PartSent(delivery_id, parts_sent, done)]
    return delivery_id in await mark_parts_sent(session, progress, instance, now=now, lease=lease)


async def mark_parts_sent(
    session: AsyncSession,
    progress: Sequence[PartSent],
    instance: str,
    *,
    now: dt.datetime,
    lease: float,
) -> set[int]:
    """``mark_part_sent`` for a batch, in one UPDATE per distinct (parts_sent, done)
    (a push has one or two parts, so a batch of hundreds is a few statements). Returns
    the ids whose claim is still ``instance``'s; the others were lost."""
    groups: dict[tuple[int, bool], list[int]] = {}
    for p in progress:
        groups.setdefault((p.parts_sent, p.done), []).append(p.delivery_id)
    kept: set[int] = set()
    for (parts_sent, done), ids in groups.items():
        values: dict[str, object] = {"parts_sent": parts_sent}
        if done:
            values |= {
                "state": DeliveryState.SENT,
                "finished_at": now,
                "lease_until": None,
                "last_error": "",
            }
        else:
            values["lease_until"] = now + dt.timedelta(seconds=lease)
        for chunk in chunked(ids):
            result = await session.execute(
                update(_DELIVERIES)
                .where(
                    _D.id.in_(chunk),
                    _D.claimed_by == instance,
                    _D.state == DeliveryState.SENDING,
                )
                .values(**values)
                .returning(_D.id)
            )
            kept.update(result.scalars())
    return kept


async def reschedule(
    session: AsyncSession,
    delivery_id: int,
    instance: str,
    *,
    due_at: dt.datetime,
    attempts: int,
    error: str,
) -> bool:
    return await _update_mine(
        session,
        delivery_id,
        instance,
        state=DeliveryState.PENDING,
        due_at=due_at,
        attempts=attempts,
        last_error=error,
        claimed_by="",
        lease_until=None,
    )


async def mark_failed(
    session: AsyncSession,
    delivery_id: int,
    instance: str,
    *,
    error: str,
    now: dt.datetime,
    attempts: int | None = None,
) -> bool:
    values: dict[str, object] = {
        "state": DeliveryState.FAILED,
        "last_error": error,
        "finished_at": now,
        "lease_until": None,
    }
    if attempts is not None:
        values["attempts"] = attempts
    return await _update_mine(session, delivery_id, instance, **values)


async def renew_leases(
    session: AsyncSession, delivery_ids: Sequence[int], instance: str, *, until: dt.datetime
) -> int:
    renewed = 0
    for chunk in chunked(list(delivery_ids)):
        result = await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(chunk),
                Delivery.claimed_by == instance,
                Delivery.state == DeliveryState.SENDING,
            )
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )
        renewed += int(result.rowcount)  # type: ignore[attr-defined]
    return renewed


async def release_claims(
    session: AsyncSession, instance: str, delivery_ids: Sequence[int] | None = None
) -> int:
    """Give claims back (shutdown, or a restart under the same instance name): the rows
    become pending again and keep their ``parts_sent``."""
    stmt = (
        update(Delivery)
        .where(Delivery.claimed_by == instance, Delivery.state == DeliveryState.SENDING)
        .values(state=DeliveryState.PENDING, claimed_by="", lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if delivery_ids is None:
        statements = [stmt]
    else:
        statements = [stmt.where(Delivery.id.in_(c)) for c in chunked(list(delivery_ids))]
    released = 0
    for statement in statements:
        result = await session.execute(statement)
        released += int(result.rowcount)  # type: ignore[attr-defined]
    return released


async def next_due_at(session: AsyncSession) -> dt.datetime | None:
    """When the next pending delivery (or the next lease expiry) is due; None: nothing left."""
    pending = await session.scalar(
        select(func.min(Delivery.due_at)).where(Delivery.state == DeliveryState.PENDING)
    )
    leased = await session.scalar(
        select(func.min(Delivery.lease_until)).where(Delivery.state == DeliveryState.SENDING)
    )
    times = [as_utc(t) for t in (pending, leased) if t is not None]
    return min(times) if times else None


async def outbox_counts(session: AsyncSession, *, kind: str | None = None) -> dict[str, int]:
    """Deliveries by state (for /stats): pending, sending, sent, failed."""
    stmt = select(Delivery.state, func.count()).group_by(Delivery.state)
    if kind is not None:
        stmt = stmt.where(Delivery.kind == kind)
    counts: dict[str, int] = dict.fromkeys(DeliveryState, 0)
    for state, count in (await session.execute(stmt)).tuples():
        counts[state] = count
    return counts


# --------------------------------------------------------------------------- chats


async def deactivate_chat(
    session: AsyncSession, chat_id: int, reason: str, *, now: dt.datetime
) -> int:
    """The bot may no longer write to ``chat_id``: the chat is deactivated
    (``store.chats``) and its other pending deliveries fail. Returns how many failed."""
    await chats.deactivate_chat(session, chat_id, reason)
    result = await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.FAILED, last_error=f"chat inactive: {reason}", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def deactivate_topic(session: AsyncSession, chat_id: int, thread_id: int) -> None:
    """A forum topic is gone or closed: its subscription stops, the chat stays active."""
    await chats.deactivate_topic(session, chat_id, thread_id)


async def migrate_chat(
    session: AsyncSession, old_chat_id: int, new_chat_id: int, *, now: dt.datetime
) -> set[int]:
    """A group became supergroup ``new_chat_id``: move the chat and its subscriptions
    (``store.chats.move_chat``) and its deliveries (ids and dedupe keys) to the new id.

    A delivery whose new key is already queued is a duplicate: an unfinished one fails as
    superseded. Returns the ids of the deliveries superseded that way."""
    await chats.move_chat(session, old_chat_id, new_chat_id)
    superseded: set[int] = set()
    rows = (
        await session.execute(
            select(Delivery.id, Delivery.dedupe_key, Delivery.state).where(
                Delivery.chat_id == old_chat_id
            )
        )
    ).all()
    for delivery_id, key, state in rows:
        new_key = retarget_key(key, old_chat_id, new_chat_id)
        clash = new_key != key and bool(
            await session.scalar(select(Delivery.id).where(Delivery.dedupe_key == new_key))
        )
        values: dict[str, object] = {"chat_id": new_chat_id}
        if not clash:
            values["dedupe_key"] = new_key
        elif state in (DeliveryState.PENDING, DeliveryState.SENDING):
            superseded.add(delivery_id)
            values |= {
                "state": DeliveryState.FAILED,
                "last_error": f"superseded: {new_key} is already queued",
                "finished_at": now,
                "lease_until": None,
            }
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return superseded
