"""held_message_statuses: SMS status callbacks that arrived before their message row

Revision ID: scoring_0008
Revises: scoring_0007
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "scoring_0008"
down_revision = "scoring_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_message_statuses",
        sa.Column("sid", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("held_message_statuses")
