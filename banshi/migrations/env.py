"""Alembic environment: the engine comes from banshi.db (never from an ini file)."""

from alembic import context

from banshi.models import Base

config = context.config
engine = config.attributes["engine"]  # banshi.db.migrate(engine) passes it

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
