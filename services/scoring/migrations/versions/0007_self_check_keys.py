"""self_checks: on PostgreSQL the unit and period keys are checked once per statement

A 300,000-row self-check month spent most of the server's time in the two foreign
keys' per-row checks (one ``SELECT … FOR KEY SHARE`` in ``units`` and one in
``periods`` per inserted row: a month 7.1 s against 2.0 s without them). On
PostgreSQL the two constraints are replaced by triggers that enforce the same rule
set-wise: after each INSERT/COPY statement, one join of the statement's new rows
(a transition table) with ``units`` and ``periods`` locks the referenced rows
``FOR KEY SHARE`` once each and refuses a row whose unit or period does not exist;
an UPDATE that changes a key is checked row by row; deleting (or renumbering) a unit
or a period that self-checks refer to is refused. The errors are SQLSTATE 23503
(foreign_key_violation), as before. SQLite keeps its foreign keys (checked in
process, cheap), and so do the models.

Revision ID: scoring_0007
Revises: scoring_0006
Create Date: 2026-12-07
"""
from alembic import op

revision = "scoring_0007"
down_revision = "scoring_0006"
branch_labels = None
depends_on = None

KEYS = (("unit_id", "units", "fk_self_checks_unit_id_units"),
        ("period_id", "periods", "fk_self_checks_period_id_periods"))

_RAISE = """RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
      MESSAGE = 'insert or update on table "self_checks" violates foreign key constraint "{name}"',
      DETAIL = format('Key ({column})=(%s) is not present in table "{parent}".', missing);"""

_INSERTED = """CREATE FUNCTION self_checks_keys_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  unit_ids integer[];
  period_ids integer[];
  missing integer;
BEGIN
  SELECT array_agg(DISTINCT k.unit_id), array_agg(DISTINCT k.period_id)
    INTO unit_ids, period_ids
    FROM (SELECT n.unit_id, n.period_id FROM new_rows n GROUP BY 1, 2) k;
{checks}
  RETURN NULL;
END $$"""

_INSERTED_CHECK = """  PERFORM 1 FROM {parent} p WHERE p.id = ANY({column}s) FOR KEY SHARE OF p;
  SELECT k INTO missing FROM unnest({column}s) k
    WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = k) LIMIT 1;
  IF FOUND THEN
    {raise_}
  END IF;"""

_UPDATED = """CREATE FUNCTION self_checks_keys_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  missing integer;
BEGIN
{checks}
  RETURN NEW;
END $$"""

_UPDATED_CHECK = """  missing := NEW.{column};
  PERFORM 1 FROM {parent} p WHERE p.id = missing FOR KEY SHARE OF p;
  IF NOT FOUND THEN
    {raise_}
  END IF;"""

_REFERENCED = """CREATE FUNCTION {parent}_keep_self_checks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM self_checks s WHERE s.{column} = OLD.id) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
      MESSAGE = 'update or delete on table "{parent}" violates foreign key constraint '
                '"{name}" on table "self_checks"',
      DETAIL = format('Key (id)=(%s) is still referenced from table "self_checks".', OLD.id);
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, parent, name in KEYS:
        op.drop_constraint(name, "self_checks", type_="foreignkey")
    op.execute(_INSERTED.format(checks="\n".join(
        _INSERTED_CHECK.format(column=column, parent=parent,
                               raise_=_RAISE.format(column=column, parent=parent, name=name))
        for column, parent, name in KEYS)))
    op.execute("CREATE TRIGGER self_checks_keys_inserted AFTER INSERT ON self_checks "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION self_checks_keys_inserted()")
    op.execute(_UPDATED.format(checks="\n".join(
        _UPDATED_CHECK.format(column=column, parent=parent,
                              raise_=_RAISE.format(column=column, parent=parent, name=name))
        for column, parent, name in KEYS)))
    op.execute("CREATE TRIGGER self_checks_keys_updated BEFORE UPDATE OF unit_id, period_id "
               "ON self_checks FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id "
               "OR OLD.period_id IS DISTINCT FROM NEW.period_id) "
               "EXECUTE FUNCTION self_checks_keys_updated()")
    for column, parent, name in KEYS:
        op.execute(_REFERENCED.format(column=column, parent=parent, name=name))
        op.execute(f"CREATE TRIGGER {parent}_keep_self_checks BEFORE DELETE OR UPDATE OF id "
                   f"ON {parent} FOR EACH ROW EXECUTE FUNCTION {parent}_keep_self_checks()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, parent, name in KEYS:
        op.execute(f"DROP TRIGGER {parent}_keep_self_checks ON {parent}")
        op.execute(f"DROP FUNCTION {parent}_keep_self_checks()")
    op.execute("DROP TRIGGER self_checks_keys_updated ON self_checks")
    op.execute("DROP FUNCTION self_checks_keys_updated()")
    op.execute("DROP TRIGGER self_checks_keys_inserted ON self_checks")
    op.execute("DROP FUNCTION self_checks_keys_inserted()")
    for column, parent, name in KEYS:
        op.create_foreign_key(name, "self_checks", parent, [column], ["id"])
