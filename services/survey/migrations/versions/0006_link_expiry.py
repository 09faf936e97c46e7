"""one-time web links get expires_at (links issued before stay without expiry)

Revision ID: survey_0006
Revises: survey_0005
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = 'survey_0006'
down_revision = 'survey_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('respondent_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('respondent_links', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
