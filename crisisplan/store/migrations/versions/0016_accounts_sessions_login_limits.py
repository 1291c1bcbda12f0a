"""people: ids never reused, a session nonce, an SSO subject; login limits shared by every process

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="always" rebuilds the SQLite table with AUTOINCREMENT (ids kept, never handed out again)
    with op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("session_nonce", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("sso_subject", sa.String(length=400), nullable=True))
        batch.create_unique_constraint("uq_users_sso_subject", ["sso_subject"])
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    op.create_table(
        "login_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_limits_last_failure_at", "login_limits", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_login_limits_last_failure_at", table_name="login_limits")
    op.drop_table("login_limits")
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.drop_constraint("uq_users_sso_subject", type_="unique")
        batch.drop_column("sso_subject")
        batch.drop_column("session_nonce")
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
