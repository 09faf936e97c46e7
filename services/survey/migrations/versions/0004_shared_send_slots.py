"""shared calling pace: one row per campaign with its next free send slot

Revision ID: survey_0004
Revises: survey_0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = 'survey_0004'
down_revision = 'survey_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phone_send_slots',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Float(), nullable=False),
    sa.Column('next_free', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['phone_campaigns.id'], name=op.f('fk_phone_send_slots_campaign_id_phone_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_phone_send_slots'))
    )


def downgrade() -> None:
    op.drop_table('phone_send_slots')
