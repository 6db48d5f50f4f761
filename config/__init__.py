"""Settings from the environment, with safe defaults for the embedded (SQLite) mode."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
