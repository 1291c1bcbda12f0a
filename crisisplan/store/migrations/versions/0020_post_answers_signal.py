"""a post written from the inbox remembers the complaint (signal) it answers

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("signal_id", sa.Integer(), nullable=True))
        batch.create_index("ix_posts_signal_id", ["signal_id"])
        batch.create_foreign_key("fk_posts_signal_id_signals", "signals", ["signal_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_constraint("fk_posts_signal_id_signals", type_="foreignkey")
        batch.drop_index("ix_posts_signal_id")
        batch.drop_column("signal_id")
