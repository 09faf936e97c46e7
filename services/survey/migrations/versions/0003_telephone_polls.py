"""telephone polls: campaigns, sampling frame contacts, call attempts, recordings, do-not-call

Revision ID: survey_0003
Revises: survey_0002
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = 'survey_0003'
down_revision = 'survey_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('do_not_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_do_not_call')),
    sa.UniqueConstraint('number_hash', name=op.f('uq_do_not_call_number_hash'))
    )
    op.create_table('phone_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('zone', sa.String(length=60), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('delays', sa.JSON(), nullable=False),
    sa.Column('max_concurrent', sa.Integer(), nullable=False),
    sa.Column('cps', sa.Float(), nullable=False),
    sa.Column('from_number', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('voice', sa.String(length=60), nullable=False),
    sa.Column('say_language', sa.String(length=20), nullable=False),
    sa.Column('gather_timeout', sa.Integer(), nullable=False),
    sa.Column('max_tries', sa.Integer(), nullable=False),
    sa.Column('prompts', sa.JSON(), nullable=False),
    sa.Column('record_calls', sa.Boolean(), nullable=False),
    sa.Column('machine_detection', sa.Boolean(), nullable=False),
    sa.Column('recording_retention_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'running', 'paused', 'cancelled', 'finished')", name=op.f('ck_phone_campaigns_state')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_phone_campaigns_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_campaigns'))
    )
    with op.batch_alter_table('phone_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_campaigns_poll_id'), ['poll_id'], unique=False)

    op.create_table('phone_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('township', sa.String(length=40), nullable=False),
    sa.Column('stratum', sa.String(length=60), nullable=True),
    sa.Column('number_encrypted', sa.Text(), nullable=False),
    sa.Column('number_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=80), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcomes', sa.JSON(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'dialing', 'done')", name=op.f('ck_phone_contacts_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['phone_campaigns.id'], name=op.f('fk_phone_contacts_campaign_id_phone_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_phone_contacts_interview_id_interviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_contacts')),
    sa.UniqueConstraint('campaign_id', 'number_hash', name=op.f('uq_phone_contacts_campaign_id_number_hash')),
    sa.UniqueConstraint('interview_id', name=op.f('uq_phone_contacts_interview_id'))
    )
    with op.batch_alter_table('phone_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_contacts_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_contacts_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_contacts_number_hash'), ['number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_contacts_township'), ['township'], unique=False)

    op.create_table('call_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('worker', sa.String(length=80), nullable=True),
    sa.Column('call_sid', sa.String(length=40), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('call_status', sa.String(length=20), nullable=True),
    sa.Column('answered_by', sa.String(length=30), nullable=True),
    sa.Column('duration', sa.Integer(), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('last_question', sa.String(length=60), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('disposition', sa.String(length=8), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.CheckConstraint("state IN ('placing', 'placed', 'in-progress', 'ended', 'lost')", name=op.f('ck_call_attempts_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['phone_campaigns.id'], name=op.f('fk_call_attempts_campaign_id_phone_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['phone_contacts.id'], name=op.f('fk_call_attempts_contact_id_phone_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attempts')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_call_attempts_call_sid')),
    sa.UniqueConstraint('contact_id', 'attempt_number', name=op.f('uq_call_attempts_contact_id_attempt_number'))
    )
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_attempts_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_attempts_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_attempts_state'), ['state'], unique=False)

    op.create_table('phone_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=60), nullable=False),
    sa.Column('recording_sid', sa.String(length=40), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('duration', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['call_attempts.id'], name=op.f('fk_phone_recordings_attempt_id_call_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_phone_recordings_interview_id_interviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_recordings')),
    sa.UniqueConstraint('recording_sid', name=op.f('uq_phone_recordings_recording_sid'))
    )
    with op.batch_alter_table('phone_recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_recordings_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_recordings_interview_id'), ['interview_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('phone_recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_recordings_interview_id'))
        batch_op.drop_index(batch_op.f('ix_phone_recordings_attempt_id'))

    op.drop_table('phone_recordings')
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_attempts_state'))
        batch_op.drop_index(batch_op.f('ix_call_attempts_contact_id'))
        batch_op.drop_index(batch_op.f('ix_call_attempts_campaign_id'))

    op.drop_table('call_attempts')
    with op.batch_alter_table('phone_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_contacts_township'))
        batch_op.drop_index(batch_op.f('ix_phone_contacts_number_hash'))
        batch_op.drop_index(batch_op.f('ix_phone_contacts_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_phone_contacts_campaign_id'))

    op.drop_table('phone_contacts')
    with op.batch_alter_table('phone_campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_campaigns_poll_id'))

    op.drop_table('phone_campaigns')
    op.drop_table('do_not_call')
