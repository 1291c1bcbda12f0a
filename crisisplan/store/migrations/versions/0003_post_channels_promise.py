"""posts: short form, promised next update, per-channel delivery

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("short_bodies", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("next_update_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("promise_text", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("promise_fixed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("channels", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        for column in ("channels", "promise_fixed", "promise_text", "next_update_at", "short_bodies"):
            batch_op.drop_column(column)
