"""the uptime bars' per-day summary, kept on change (filled lazily from the record on first use)

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uptime_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seconds", sa.JSON(), nullable=False),
        sa.Column("incidents", sa.JSON(), nullable=False),
        sa.Column("incident_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("component", "day", name="uq_uptime_days_component_day"),
    )
    marks = op.create_table(
        "uptime_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # the one row, there from the start: servers starting together on a new database never race to create it
    op.bulk_insert(marks, [{"id": 1, "history_id": 0, "incident_id": 0, "changed_at": None}])
    op.create_table(
        "uptime_told",
        sa.Column("incident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    # the incidents changed since the summary last looked: found by this index, not by reading them all
    op.create_index("ix_incidents_updated_at", "incidents", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_updated_at", table_name="incidents")
    op.drop_table("uptime_told")
    op.drop_table("uptime_marks")
    op.drop_table("uptime_days")
