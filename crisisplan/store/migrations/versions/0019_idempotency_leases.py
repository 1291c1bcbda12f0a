"""idempotency keys: a lease on the key of a request at work (taken over after a crash), and an index to purge old keys

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("lease", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("leased_at", sa.DateTime(), nullable=True))
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("leased_at")
        batch.drop_column("lease")
