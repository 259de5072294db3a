"""cardgen: turn a curated file of facts into update-safe Anki decks."""

__version__ = "0.1.0"
