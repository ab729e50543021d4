"""The throwaway PostgreSQL cluster of the journal tests, for the tail's PostgreSQL test."""

from tests.journal.conftest import pg

__all__ = ["pg"]
