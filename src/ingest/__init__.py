"""ingest: a dated record of Japanese funding programs open to researchers overseas."""

__version__ = "0.1.0"
