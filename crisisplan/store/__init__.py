"""Storage: SQLAlchemy models, the unit of work, the audit chain, migrations."""
