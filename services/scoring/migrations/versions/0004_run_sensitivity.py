"""run sensitivity: the engine's sensitivity report stored with a run

Revision ID: scoring_0004
Revises: scoring_0003
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "scoring_0004"
down_revision = "scoring_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sensitivity", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.drop_column("sensitivity")
