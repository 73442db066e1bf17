"""A push tick reads only what is due, and a render is stored once


``subscriptions.next_push_at``: the UTC moment the subscription's next push is due (its
HH:MM in its zone); NULL for a subscription that is off (unsubscribed, or its chat
blocked the bot). Existing active subscriptions get the epoch: the first tick works
their moment out.

``delivery_bodies``: the rendered messages, once per distinct render (sha256 of the
parts); ``deliveries.body_id`` points at it (``parts`` is then empty). 100,000 pushes of
six distinct renders are six bodies, not 400 MB of copies.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def upgrade() -> None:
    op.create_table(
        "delivery_bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="uq_delivery_bodies_sha256"),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("body_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_deliveries_body_id", "delivery_bodies", ["body_id"], ["id"])
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("next_push_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_subscriptions_next_push_at", ["next_push_at"])
    subscriptions = sa.table(
        "subscriptions",
        sa.column("active", sa.Boolean()),
        sa.column("next_push_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        subscriptions.update()
        .where(subscriptions.c.active.is_(True))
        .values(next_push_at=sa.literal(EPOCH, sa.DateTime(timezone=True)))
    )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("fk_deliveries_body_id", type_="foreignkey")
        batch.drop_column("body_id")
    op.drop_table("delivery_bodies")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_index("ix_subscriptions_next_push_at")
        batch.drop_column("next_push_at")
