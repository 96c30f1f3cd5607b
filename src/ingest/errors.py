"""One exception hierarchy; every message is a sentence a user can act on."""


class IngestError(Exception):
    """Base class: the CLI prints str(error) on one line and exits non-zero."""


class ConfigError(IngestError):
    """sources/*.toml or a command-line value is wrong."""


class ExtractError(IngestError):
    """A document could not be read, or gave no usable records."""


class EmptyExtractError(ExtractError):
    """A document opened but gave no programs, or far fewer than before: never a mass removal."""


class FetchError(IngestError):
    """A web page could not be fetched. `kind` classifies the failure for health tracking."""

    def __init__(self, message: str, kind: str = "connection") -> None:
        super().__init__(message)
        self.kind = kind


class SnapshotError(IngestError):
    """A snapshot is missing, unreadable or inconsistent."""
