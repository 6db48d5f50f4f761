"""Business operations: plain functions over a SQLAlchemy Session, no Flask."""
