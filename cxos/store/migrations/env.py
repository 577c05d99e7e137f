"""Alembic environment: the schema is SQLModel's metadata; SQLite gets batch mode for ALTERs."""

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import cxos.models  # noqa: F401  (registers every table on SQLModel.metadata)

target_metadata = SQLModel.metadata


def _database_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("No sqlalchemy.url: run migrations through cxos.store.db.upgrade_to_head(url).")
    return url


def run_migrations_offline() -> None:
    url = _database_url()
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=url.startswith("sqlite")
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _database_url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
