"""Alembic, driven from code: one history per service under ``services/<name>/migrations``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine


def alembic_config(migrations_dir: Path, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, migrations_dir: Path, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (default head)."""
    command.upgrade(alembic_config(migrations_dir, engine), revision)


def heads(migrations_dir: Path) -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config(migrations_dir)).get_heads())


def current(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def at_head(engine: Engine, migrations_dir: Path) -> bool:
    """True when the database's revision equals the history's single head."""
    return set(current(engine)) == set(heads(migrations_dir))


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py``: online migrations on the given engine."""
    from alembic import context

    config = context.config
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def service_migrations_dir(service: str) -> Path:
    return Path(__file__).resolve().parent.parent / "services" / service / "migrations"
