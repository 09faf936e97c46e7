"""runs: score runs and per-unit results

Revision ID: scoring_0003
Revises: scoring_0002
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "scoring_0003"
down_revision = "scoring_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_version_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("method", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("results_sha256", sa.String(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["scheme_version_id"], ["scheme_versions.id"],
                                ondelete="SET NULL",
                                name=op.f("fk_score_runs_scheme_version_id_scheme_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_runs")),
    )
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_runs_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_runs_scheme_version_id"),
                              ["scheme_version_id"], unique=False)

    op.create_table(
        "score_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("peer_group", sa.String(length=40), nullable=False),
        sa.Column("composite", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("group_size", sa.Integer(), nullable=False),
        sa.Column("composite_lo", sa.Float(), nullable=True),
        sa.Column("composite_hi", sa.Float(), nullable=True),
        sa.Column("rank_lo", sa.Integer(), nullable=True),
        sa.Column("rank_hi", sa.Integer(), nullable=True),
        sa.Column("p_top_k", sa.Float(), nullable=True),
        sa.Column("p_advanced", sa.Float(), nullable=True),
        sa.Column("advanced", sa.Boolean(), nullable=True),
        sa.Column("near_cutoff", sa.Boolean(), nullable=False),
        sa.Column("credibility", sa.Float(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("nodes", sa.JSON(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["score_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_score_results_run_id_score_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_results")),
        sa.UniqueConstraint("run_id", "unit", name=op.f("uq_score_results_run_id_unit")),
    )
    with op.batch_alter_table("score_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_results_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("score_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_results_run_id"))
    op.drop_table("score_results")
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_runs_scheme_version_id"))
        batch_op.drop_index(batch_op.f("ix_score_runs_period"))
    op.drop_table("score_runs")
