"""the public history reads the newest incidents first without scanning them all

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_public_declared", "incidents", ["is_drill", "declared_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_public_declared", table_name="incidents")
