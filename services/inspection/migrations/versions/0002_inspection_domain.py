"""inspection: checklists, plans, visits, evidence, orders, audit

Revision ID: inspection_0002
Revises: inspection_0001
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = 'inspection_0002'
down_revision = 'inspection_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_log_seq'))
    )
    op.create_table('checklist_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('critical_cap', sa.Float(), nullable=False),
    sa.Column('scoring_rule_version', sa.String(length=40), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_checklist_templates_code_version'))
    )
    op.create_table('checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text_zh', sa.String(length=500), nullable=False),
    sa.Column('text_en', sa.String(length=500), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('response_type', sa.String(length=20), nullable=False),
    sa.Column('max_points', sa.Float(), nullable=True),
    sa.Column('unit_of_measure', sa.String(length=40), nullable=True),
    sa.Column('tolerance', sa.Float(), nullable=True),
    sa.Column('tolerance_kind', sa.String(length=10), nullable=True),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('photo_required', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_items_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('template_id', 'item_id', name=op.f('uq_checklist_items_template_id_item_id'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('window_from', sa.Date(), nullable=False),
    sa.Column('window_to', sa.Date(), nullable=False),
    sa.Column('self_check_period', sa.String(length=10), nullable=True),
    sa.Column('selection', sa.String(length=20), nullable=False),
    sa.Column('draw', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_plans_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    op.create_table('plan_inspectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('inspector', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_inspectors_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_inspectors')),
    sa.UniqueConstraint('plan_id', 'inspector', name=op.f('uq_plan_inspectors_plan_id_inspector'))
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=40), nullable=False),
    sa.Column('stratum', sa.String(length=80), nullable=True),
    sa.Column('inspector', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('unit_lat', sa.Float(), nullable=True),
    sa.Column('unit_lon', sa.Float(), nullable=True),
    sa.Column('checkin_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkin_lat', sa.Float(), nullable=True),
    sa.Column('checkin_lon', sa.Float(), nullable=True),
    sa.Column('checkin_accuracy_m', sa.Float(), nullable=True),
    sa.Column('checkin_provider', sa.String(length=20), nullable=True),
    sa.Column('checkin_mock', sa.Boolean(), nullable=True),
    sa.Column('checkin_device_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkin_distance_m', sa.Float(), nullable=True),
    sa.Column('checkin_flags', sa.JSON(), nullable=True),
    sa.Column('reference_date', sa.Date(), nullable=True),
    sa.Column('self_reports', sa.JSON(), nullable=True),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=120), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_visits_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_plan_id', ['plan_id'], unique=False)
        batch_op.create_index('ix_visits_unit_code', ['unit_code'], unique=False)

    op.create_table('visit_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('score_raw', sa.Float(), nullable=True),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('rule_version', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_versions_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_versions')),
    sa.UniqueConstraint('visit_id', 'version', name=op.f('uq_visit_versions_visit_id_version'))
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('item_id', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['visit_versions.id'], name=op.f('fk_findings_version_id_visit_versions')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_findings_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    op.create_table('visit_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=80), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=True),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('self_reported', sa.Float(), nullable=True),
    sa.Column('discrepant', sa.Boolean(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('max_score', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['visit_versions.id'], name=op.f('fk_visit_responses_version_id_visit_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_responses'))
    )
    with op.batch_alter_table('visit_responses', schema=None) as batch_op:
        batch_op.create_index('ix_visit_responses_version_id', ['version_id'], unique=False)

    op.create_table('rectification_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=40), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('last_reason', sa.Text(), nullable=True),
    sa.Column('follow_up_visit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_rectification_orders_finding_id_findings')),
    sa.ForeignKeyConstraint(['follow_up_visit_id'], ['visits.id'], name=op.f('fk_rectification_orders_follow_up_visit_id_visits')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_rectification_orders_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_orders'))
    )
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_orders_unit_code', ['unit_code'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('item_id', sa.String(length=80), nullable=True),
    sa.Column('finding_ref', sa.String(length=80), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=True),
    sa.Column('declared_by', sa.String(length=120), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['rectification_orders.id'], name=op.f('fk_attachments_order_id_rectification_orders')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_attachments_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_order_id', ['order_id'], unique=False)
        batch_op.create_index('ix_attachments_visit_id', ['visit_id'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('from_state', sa.String(length=10), nullable=True),
    sa.Column('to_state', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('attachment_ids', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['rectification_orders.id'], name=op.f('fk_order_events_order_id_rectification_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )


def downgrade() -> None:
    op.drop_table('order_events')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_visit_id')
        batch_op.drop_index('ix_attachments_order_id')

    op.drop_table('attachments')
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_rectification_orders_unit_code')

    op.drop_table('rectification_orders')
    with op.batch_alter_table('visit_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_responses_version_id')

    op.drop_table('visit_responses')
    op.drop_table('findings')
    op.drop_table('visit_versions')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_unit_code')
        batch_op.drop_index('ix_visits_plan_id')

    op.drop_table('visits')
    op.drop_table('plan_inspectors')
    op.drop_table('plans')
    op.drop_table('checklist_items')
    op.drop_table('checklist_templates')
    op.drop_table('audit_log')
