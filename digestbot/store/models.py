"""SQLAlchemy 2 models.

Alembic migrations (``digestbot/store/migrations``) are the only source of the schema;
these classes describe it for queries and must stay in step with the migrations
(``tests/store/test_migrations.py`` compares them).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from digestbot.clock import EPOCH, utcnow
from digestbot.config import Language


class IngestStatus(StrEnum):
    """How one attempt to ingest a day ended."""

    STORED = "stored"
    MISSING = "missing"  # the source has no digest that day (yet)
    FAILED = "failed"


class DeliveryState(StrEnum):
    """A delivery's life: pending → sending → sent, or failed (see the outbox)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DeliveryKind(StrEnum):
    PUSH = "push"
    FOLLOW = "follow"  # a follows-only push: only the day's papers the chat follows
    WEEKLY = "weekly"
    REPOST = "repost"
    BROADCAST = "broadcast"


class Cadence(StrEnum):
    """How often a subscription is pushed: every morning, Monday's weekly digest, or both."""

    DAILY = "daily"
    WEEKLY = "weekly"
    BOTH = "both"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


# --------------------------------------------------------------------------- archive


class Paper(Base):
    """A paper, keyed by arXiv id; its latest title, authors and sections."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(Text)
    media_kind: Mapped[str | None] = mapped_column(String(8))
    authors: Mapped[list[str]] = mapped_column(JSON)
    # the digest's author list ended with "+": more authors than it lists
    more_authors: Mapped[bool] = mapped_column(Boolean, default=False)
    # from Hugging Face's list: the English abstract and metadata
    abstract: Mapped[str | None] = mapped_column(Text)
    ai_summary: Mapped[str | None] = mapped_column(Text)  # HF's one-line English summary
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    github_repo: Mapped[str | None] = mapped_column(Text)
    github_stars: Mapped[int | None] = mapped_column(Integer)
    project_page: Mapped[str | None] = mapped_column(Text)
    # the generated Korean summary: attempts so far, why the last failed, and a claim
    # (only the instance holding it asks the model)
    summary_attempts: Mapped[int] = mapped_column(Integer, default=0)
    summary_error: Mapped[str] = mapped_column(Text, default="")
    summary_claimed_until: Mapped[dt.datetime | None] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sections: Mapped[list[Section]] = relationship(
        order_by="Section.position", cascade="all, delete-orphan", lazy="raise"
    )


class Section(Base):
    """One Korean summary section of a paper, in the order the digest gives them."""

    __tablename__ = "sections"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # "archive", or "model:<name>" for a summary the bot had written
    origin: Mapped[str] = mapped_column(String(80), default="archive")


class DigestDay(Base):
    """A day for which a digest was stored."""

    __tablename__ = "digest_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    paper_count: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    ingested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # what the parser repaired or skipped in the stored digest ("file:line: what")
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    votes_at: Mapped[dt.datetime | None] = mapped_column()  # last read from Hugging Face


class Appearance(Base):
    """A paper's appearance in one day's digest: its rank and its votes that day."""

    __tablename__ = "appearances"
    __table_args__ = (
        UniqueConstraint("day", "rank", name="uq_appearances_day_rank"),
        Index("ix_appearances_paper_id", "paper_id"),
        Index("ix_appearances_votes", "votes"),
    )

    day: Mapped[dt.date] = mapped_column(
        ForeignKey("digest_days.day", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    votes: Mapped[int | None] = mapped_column(Integer)


class IngestRun(Base):
    """One attempt to ingest one day, whatever its outcome (for /stats and the scheduler)."""

    __tablename__ = "ingest_runs"
    __table_args__ = (Index("ix_ingest_runs_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # an IngestStatus
    papers: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    finished_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LlmUsage(Base):
    """One summary request to the model: what it cost and whether it gave a summary."""

    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    day: Mapped[dt.date | None] = mapped_column(Date)
    model: Mapped[str] = mapped_column(String(128))
    ok: Mapped[bool] = mapped_column(Boolean)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SourceStatus(Base):
    """A source's health: its last success, the newest day it had, its last error, and
    the newest day it was silent about that admins were told of."""

    __tablename__ = "source_status"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_success_at: Mapped[dt.datetime | None] = mapped_column()
    newest_day: Mapped[dt.date | None] = mapped_column(Date)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[dt.datetime | None] = mapped_column()
    alerted_day: Mapped[dt.date | None] = mapped_column(Date)


# --------------------------------------------------------------------------- chats


class Chat(Base):
    """A Telegram chat the bot talks to: private, group, supergroup or channel."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default=Language.KO)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """A chat's (or forum topic's) morning push and its settings."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("chat_id", "thread_id", name="uq_subscriptions_target"),
        Index("ix_subscriptions_next_push_at", "next_push_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    # 0 = the chat itself; otherwise the forum topic (message_thread_id) it was made in
    thread_id: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    push_time: Mapped[str] = mapped_column(String(5), default="08:00")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    top_n: Mapped[int] = mapped_column(Integer, default=5)
    # section names the push shows; empty = every section
    sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the push shows every section in full (several messages) instead of the compact one
    full_sections: Mapped[bool] = mapped_column(Boolean, default=False)
    # the UTC moment the next push is due (the push tick reads only the due ones and
    # moves it on); EPOCH: work it out at the next tick; None: off (unsubscribed, or the
    # chat blocked the bot)
    next_push_at: Mapped[dt.datetime | None] = mapped_column(default=EPOCH)
    cadence: Mapped[str] = mapped_column(String(8), default=Cadence.DAILY)  # a Cadence
    # the push holds only the day's papers matching the chat's follows (none: no push)
    follows_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Bookmark(Base):
    """A paper a Telegram user saved (🔖): per user, whatever chat they pressed it in."""

    __tablename__ = "bookmarks"
    __table_args__ = (
        UniqueConstraint("user_id", "paper_id", name="uq_bookmarks_user_paper"),
        Index("ix_bookmarks_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Follow(Base):
    """A search a chat (or forum topic) follows: its papers join the morning push.

    ``query`` is the normalised query (``digestbot.search.follow.follow_key``), so the
    same follow written twice is one row; ``text`` is what the user typed."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("chat_id", "thread_id", "query", name="uq_follows_target_query"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    thread_id: Mapped[int] = mapped_column(Integer, default=0)
    query: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- outbox


class DeliveryBody(Base):
    """The rendered messages of a delivery, stored once for every delivery that sends the
    same (a push is rendered once per distinct cut, not per subscriber)."""

    __tablename__ = "delivery_bodies"
    __table_args__ = (UniqueConstraint("sha256", name="uq_delivery_bodies_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    parts: Mapped[list[Any]] = mapped_column(JSON)  # rendered HTML messages, in order
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One message (possibly several parts) to one chat, written before it is sent.

    ``dedupe_key`` makes "never the same digest twice to the same chat" a database
    constraint: a push of day D to chat C is ``push:D:C:thread`` and can be queued once.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_deliveries_dedupe_key"),
        Index("ix_deliveries_claim", "state", "due_at", "id"),
        Index("ix_deliveries_body_id", "body_id"),
        Index("ix_deliveries_chat_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # a DeliveryKind
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(Integer, default=0)
    day: Mapped[dt.date | None] = mapped_column(Date)
    # the rendered messages, in order (HTML text, or {"text", "buttons", "preview_url"}:
    # delivery.outbox.Part): in the shared body when ``body_id`` is set (then ``parts`` is
    # empty), else here (rows queued before bodies existed)
    parts: Mapped[list[Any]] = mapped_column(JSON)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_bodies.id"))
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    # a claim expires at lease_until (an instance that died releases its rows this way)
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()


# --------------------------------------------------------------------------- send budget


class SendBudget(Base):
    """One token's send schedule, shared by every instance on one PostgreSQL: the next
    free send slot and a global pause, in the database's clock (epoch seconds). ``key``
    is a hash of the token and the lane (free or paid), never the token."""

    __tablename__ = "send_budget"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Float)
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)


class PaidSends(Base):
    """Paid-broadcast messages of one UTC day: reserved under the daily cap by the
    instances, and accepted by Telegram (what they cost)."""

    __tablename__ = "paid_sends"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
