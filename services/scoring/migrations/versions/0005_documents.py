"""documents: notices, bulletins and reports made from published runs, archived

Revision ID: scoring_0005
Revises: scoring_0004
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "scoring_0005"
down_revision = "scoring_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("score_runs.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("run_inputs_sha256", sa.String(64), nullable=False),
        sa.Column("run_results_sha256", sa.String(64), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("sources_sha256", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("pdf_bytes", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("replaces_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_by", sa.String(200), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_documents_kind", "documents", ["kind"])
    op.create_index("ix_documents_period", "documents", ["period"])
    op.create_index("ix_documents_run_id", "documents", ["run_id"])


def downgrade() -> None:
    op.drop_table("documents")
