"""respondent contacts encrypted at rest: columns widened to Text, existing rows
encrypted in place with the phone vault (SURVEY_PHONE_KEYS); downgrade decrypts

Revision ID: survey_0005
Revises: survey_0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from services.survey.telephony.vault import vault

revision = 'survey_0005'
down_revision = 'survey_0004'
branch_labels = None
depends_on = None

# Column widths before this revision (downgrade restores them).
WIDTHS = {'name': 200, 'phone': 40, 'email': 200, 'note': 500}
contacts = sa.table('respondent_contacts', sa.column('id', sa.Integer()),
                    *(sa.column(name, sa.Text()) for name in WIDTHS))


def _convert(change) -> None:
    """Apply ``change`` (encrypt or decrypt) to every contact field of every row."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(contacts)).mappings().all()
    for row in rows:
        values = {name: change(row[name]) for name in WIDTHS if row[name] is not None}
        if values:
            connection.execute(contacts.update().where(contacts.c.id == row['id'])
                               .values(**values))


def upgrade() -> None:
    with op.batch_alter_table('respondent_contacts', schema=None) as batch_op:
        for name, width in WIDTHS.items():
            batch_op.alter_column(name, existing_type=sa.String(length=width),
                                  type_=sa.Text(), existing_nullable=True)
    _convert(vault().encrypt)


def downgrade() -> None:
    _convert(vault().decrypt)
    with op.batch_alter_table('respondent_contacts', schema=None) as batch_op:
        for name, width in WIDTHS.items():
            batch_op.alter_column(name, existing_type=sa.Text(),
                                  type_=sa.String(length=width), existing_nullable=True)
