"""indexes that keep the status page's reads small whatever the history, and the uptime summary's generation

Open incidents, and the most recent closed ones, read in date order from (closed, is_drill, declared_at);
maintenance windows by runbook; the public stamp's newest change from (is_drill, updated_at). Without them
each of these read every incident of the last 90 days. `uptime_marks.generation` goes up with every change of
the uptime summary, so the page reads its 90 days × components rows again only then.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_open_declared", "incidents", ["closed", "is_drill", "declared_at"])
    op.drop_index("ix_incidents_closed_drill", table_name="incidents")  # a prefix of the one above
    op.create_index("ix_incidents_runbook_declared", "incidents", ["runbook_id", "declared_at"])
    op.create_index("ix_incidents_drill_updated", "incidents", ["is_drill", "updated_at"])
    with op.batch_alter_table("uptime_marks") as batch:
        batch.add_column(sa.Column("generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("uptime_marks") as batch:
        batch.drop_column("generation")
    op.drop_index("ix_incidents_drill_updated", table_name="incidents")
    op.drop_index("ix_incidents_runbook_declared", table_name="incidents")
    op.create_index("ix_incidents_closed_drill", "incidents", ["closed", "is_drill"])
    op.drop_index("ix_incidents_open_declared", table_name="incidents")
