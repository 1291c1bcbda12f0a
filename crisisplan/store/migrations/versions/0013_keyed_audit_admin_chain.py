"""the audit chain keyed (each event names its key), and the admin chain with its head

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        # "" marks an event written before keys: plain SHA-256 until `crisisplan audit seal` keys it
        batch.add_column(sa.Column("key_id", sa.String(length=32), nullable=False, server_default=""))
    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq", name="uq_admin_events_seq"),
    )
    heads = op.create_table(
        "audit_heads",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # the admin chain's head exists from the start, so appending only ever locks it (never races to create it)
    op.bulk_insert(heads, [{"name": "admin", "head": "0" * 64, "length": 0}])


def downgrade() -> None:
    op.drop_table("audit_heads")
    op.drop_table("admin_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("key_id")
