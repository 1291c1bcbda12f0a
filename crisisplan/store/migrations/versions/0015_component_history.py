"""each component's public status over time, for the uptime bars

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "component_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_component_history_component_at", "component_history", ["component", "at"])


def downgrade() -> None:
    op.drop_index("ix_component_history_component_at", table_name="component_history")
    op.drop_table("component_history")
