"""posts: author, approvals, review comment, scheduled time

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("approvals", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("review_comment", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("publish_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_posts_publish_at", ["publish_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_index("ix_posts_publish_at")
        for column in ("publish_at", "review_comment", "approvals", "author"):
            batch_op.drop_column(column)
