"""instructions (批示件督办) and deadline reminders by SMS

Revision ID: scoring_0006
Revises: scoring_0005
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "scoring_0006"
down_revision = "scoring_0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "instructions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("leader", sa.String(100), nullable=False),
        sa.Column("document_no", sa.String(100), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("original_deadline", sa.Date(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_instructions_deadline", "instructions", ["deadline"])
    op.create_index("ix_instructions_state", "instructions", ["state"])
    op.create_table(
        "instruction_units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instruction_id", sa.Integer(),
                  sa.ForeignKey("instructions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.UniqueConstraint("instruction_id", "unit_code"),
    )
    op.create_index("ix_instruction_units_instruction_id", "instruction_units",
                    ["instruction_id"])
    op.create_index("ix_instruction_units_unit_code", "instruction_units", ["unit_code"])
    op.create_table(
        "instruction_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instruction_id", sa.Integer(),
                  sa.ForeignKey("instructions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("reported_by", sa.String(200), nullable=False),
        sa.Column("reported_at", TZ, nullable=False),
    )
    op.create_index("ix_instruction_reports_instruction_id", "instruction_reports",
                    ["instruction_id"])
    op.create_table(
        "instruction_extensions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instruction_id", sa.Integer(),
                  sa.ForeignKey("instructions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_deadline", sa.Date(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
    )
    op.create_index("ix_instruction_extensions_instruction_id", "instruction_extensions",
                    ["instruction_id"])
    op.create_table(
        "instruction_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instruction_id", sa.Integer(),
                  sa.ForeignKey("instructions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_state", sa.String(12), nullable=True),
        sa.Column("to_state", sa.String(12), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_instruction_events_instruction_id", "instruction_events",
                    ["instruction_id"])
    op.create_table(
        "unit_contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("number_ciphertext", sa.Text(), nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("last_digits", sa.String(4), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("opted_out_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("unit_code", "number_hash"),
    )
    op.create_index("ix_unit_contacts_unit_code", "unit_contacts", ["unit_code"])
    op.create_index("ix_unit_contacts_number_hash", "unit_contacts", ["number_hash"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_key", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("case_kind", sa.String(12), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("case_key", "kind", "day"),
    )
    op.create_index("ix_reminders_day", "reminders", ["day"])
    op.create_index("ix_reminders_unit_code", "reminders", ["unit_code"])
    op.create_table(
        "reminder_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reminder_id", sa.Integer(),
                  sa.ForeignKey("reminders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("unit_contacts.id"),
                  nullable=False),
        sa.Column("sid", sa.String(64), nullable=True, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_reminder_messages_reminder_id", "reminder_messages", ["reminder_id"])
    op.create_index("ix_reminder_messages_contact_id", "reminder_messages", ["contact_id"])


def downgrade() -> None:
    for table in ("reminder_messages", "reminders", "unit_contacts", "instruction_events",
                  "instruction_extensions", "instruction_reports", "instruction_units",
                  "instructions"):
        op.drop_table(table)
