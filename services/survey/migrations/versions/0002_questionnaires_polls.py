"""questionnaires, polls, interviews, answers, respondent links and contacts

Revision ID: survey_0002
Revises: survey_0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op


revision = "survey_0002"
down_revision = "survey_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("questionnaires",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(length=60), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("title_zh", sa.String(length=300), nullable=False),
    sa.Column("title_en", sa.String(length=300), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaires")),
    sa.UniqueConstraint("code", "version", name=op.f("uq_questionnaires_code_version"))
    )
    op.create_table("polls",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name_zh", sa.String(length=200), nullable=False),
    sa.Column("name_en", sa.String(length=200), nullable=False),
    sa.Column("questionnaire_id", sa.Integer(), nullable=False),
    sa.Column("modes", sa.JSON(), nullable=False),
    sa.Column("field_start", sa.Date(), nullable=False),
    sa.Column("field_end", sa.Date(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("stratum_question", sa.String(length=60), nullable=True),
    sa.Column("partial_threshold", sa.Float(), nullable=False),
    sa.Column("stop_at_quota", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("margins_fetched_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'fielding', 'closed')", name=op.f("ck_polls_status")),
    sa.ForeignKeyConstraint(["questionnaire_id"], ["questionnaires.id"], name=op.f("fk_polls_questionnaire_id_questionnaires")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_polls"))
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_polls_questionnaire_id"), ["questionnaire_id"], unique=False)

    op.create_table("interviews",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("mode", sa.String(length=10), nullable=False),
    sa.Column("township", sa.String(length=40), nullable=True),
    sa.Column("stratum", sa.String(length=60), nullable=True),
    sa.Column("cluster", sa.String(length=60), nullable=True),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("disposition", sa.String(length=8), nullable=False),
    sa.Column("language", sa.String(length=8), nullable=False),
    sa.Column("external_ref", sa.String(length=100), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("mode IN ('phone', 'web', 'paper')", name=op.f("ck_interviews_mode")),
    sa.CheckConstraint("status IN ('not_started', 'in_progress', 'complete', 'partial', 'ended')", name=op.f("ck_interviews_status")),
    sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], name=op.f("fk_interviews_poll_id_polls"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews")),
    sa.UniqueConstraint("poll_id", "external_ref", name=op.f("uq_interviews_poll_id_external_ref"))
    )
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interviews_poll_id"), ["poll_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interviews_township"), ["township"], unique=False)

    op.create_table("poll_margins",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("township", sa.String(length=40), nullable=False),
    sa.Column("variable", sa.String(length=120), nullable=False),
    sa.Column("category", sa.String(length=120), nullable=False),
    sa.Column("count", sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], name=op.f("fk_poll_margins_poll_id_polls"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_margins")),
    sa.UniqueConstraint("poll_id", "township", "variable", "category", name=op.f("uq_poll_margins_poll_id_township_variable_category"))
    )
    with op.batch_alter_table("poll_margins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_margins_poll_id"), ["poll_id"], unique=False)

    op.create_table("poll_townships",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("township", sa.String(length=40), nullable=False),
    sa.Column("target_completes", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], name=op.f("fk_poll_townships_poll_id_polls"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_townships")),
    sa.UniqueConstraint("poll_id", "township", name=op.f("uq_poll_townships_poll_id_township"))
    )
    with op.batch_alter_table("poll_townships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_townships_poll_id"), ["poll_id"], unique=False)

    op.create_table("stratum_quotas",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("township", sa.String(length=40), nullable=False),
    sa.Column("stratum", sa.String(length=60), nullable=False),
    sa.Column("target_completes", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], name=op.f("fk_stratum_quotas_poll_id_polls"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_stratum_quotas")),
    sa.UniqueConstraint("poll_id", "township", "stratum", name=op.f("uq_stratum_quotas_poll_id_township_stratum"))
    )
    with op.batch_alter_table("stratum_quotas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stratum_quotas_poll_id"), ["poll_id"], unique=False)

    op.create_table("answers",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("interview_id", sa.Integer(), nullable=False),
    sa.Column("question_id", sa.String(length=60), nullable=False),
    sa.Column("value", sa.JSON(), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], name=op.f("fk_answers_interview_id_interviews"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
    sa.UniqueConstraint("interview_id", "question_id", name=op.f("uq_answers_interview_id_question_id"))
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_interview_id"), ["interview_id"], unique=False)

    op.create_table("respondent_contacts",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("interview_id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=True),
    sa.Column("phone", sa.String(length=40), nullable=True),
    sa.Column("email", sa.String(length=200), nullable=True),
    sa.Column("note", sa.String(length=500), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], name=op.f("fk_respondent_contacts_interview_id_interviews"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_respondent_contacts")),
    sa.UniqueConstraint("interview_id", name=op.f("uq_respondent_contacts_interview_id"))
    )
    op.create_table("respondent_links",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("interview_id", sa.Integer(), nullable=False),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], name=op.f("fk_respondent_links_interview_id_interviews"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], name=op.f("fk_respondent_links_poll_id_polls"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_respondent_links")),
    sa.UniqueConstraint("interview_id", name=op.f("uq_respondent_links_interview_id")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_respondent_links_token_hash"))
    )
    with op.batch_alter_table("respondent_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_respondent_links_poll_id"), ["poll_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("respondent_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_respondent_links_poll_id"))

    op.drop_table("respondent_links")
    op.drop_table("respondent_contacts")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_interview_id"))

    op.drop_table("answers")
    with op.batch_alter_table("stratum_quotas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stratum_quotas_poll_id"))

    op.drop_table("stratum_quotas")
    with op.batch_alter_table("poll_townships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_townships_poll_id"))

    op.drop_table("poll_townships")
    with op.batch_alter_table("poll_margins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_margins_poll_id"))

    op.drop_table("poll_margins")
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interviews_township"))
        batch_op.drop_index(batch_op.f("ix_interviews_poll_id"))

    op.drop_table("interviews")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_polls_questionnaire_id"))

    op.drop_table("polls")
    op.drop_table("questionnaires")
