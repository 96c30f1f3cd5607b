"""One exception hierarchy; every message is a sentence a user can act on. `ErrorKind` names why a
source failed, for the manifest, source health and alerts."""

from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a source or page failed. The values are stored in manifests: never rename one."""

    DNS = "dns"
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    TLS = "tls"
    HTTP_4XX = "http-4xx"
    HTTP_5XX = "http-5xx"
    ROBOTS_DISALLOWED = "robots-disallowed"
    REDIRECTED_AWAY = "redirected-away"
    REDIRECT_LOOP = "redirect-loop"
    TOO_LARGE = "too-large"
    CONTENT_TYPE = "content-type"
    EMPTY_RESPONSE = "empty"  # the server answered with no body at all
    LAYOUT_CHANGED = "layout-changed"  # the document or page no longer gives what it gave
    EXTRACT = "extract"  # the document could not be read
    GARBAGE = "garbage"  # the answer is not readable text of its declared type (binary, mis-encoded)


class IngestError(Exception):
    """Base class: the CLI prints str(error) on one line and exits non-zero."""


class ConfigError(IngestError):
    """sources/*.toml or a command-line value is wrong."""


class ExtractError(IngestError):
    """A document could not be read, or gave no usable records. `kind` classifies it for health."""

    def __init__(self, message: str, kind: ErrorKind = ErrorKind.EXTRACT) -> None:
        super().__init__(message)
        self.kind = ErrorKind(kind)


class EmptyExtractError(ExtractError):
    """A document opened but gave no programs, or far fewer than before: never a mass removal."""


class FetchError(IngestError):
    """A web page could not be fetched. `kind` classifies the failure for health tracking."""

    def __init__(self, message: str, kind: ErrorKind = ErrorKind.CONNECTION) -> None:
        super().__init__(message)
        self.kind = ErrorKind(kind)


class SnapshotError(IngestError):
    """A snapshot is missing, unreadable or inconsistent."""
