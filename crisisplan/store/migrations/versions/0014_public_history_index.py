"""the public history reads the newest incidents first without scanning them all

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_public_declared", "incidents", ["is_drill", "declared_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_public_declared", table_name="incidents")
