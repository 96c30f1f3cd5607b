"""sources/sources.toml → validated source declarations (a discriminated union on `kind`)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.errors import ConfigError
from ingest.extract.catalogue import load_catalogue
from ingest.fetch import FetchSettings
from ingest.isolation import ExtractLimits
from ingest.models import Severity

SOURCES_FILE = "sources.toml"


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    programs: list[str] = Field(
        default_factory=list,
        description="Ids of the programs this source covers (catalogue.toml); empty keeps every record.",
    )
    min_records: int = Field(1, ge=0, description="Fewer records than this is an extraction failure.")

    @field_validator("programs")
    @classmethod
    def _known_programs(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - load_catalogue().known_ids())
        if unknown:
            raise ValueError(f"unknown program ids {unknown}; known ids are listed in catalogue.toml")
        return value


class PdfSource(_Source):
    """A reference-document PDF kept in the sources folder."""

    kind: Literal["pdf"]
    path: str = Field(description="File name, relative to the sources folder.")

    @property
    def location(self) -> str:
        return self.path


class FollowRule(BaseModel):
    """Follow-up pages linked from a program page (e.g. this year's call page), found by pattern."""

    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(description="Regular expression matched against absolute link URLs.")
    limit: int = Field(3, ge=1, le=20)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a valid regular expression: {error}") from None
        return value


class HtmlSource(_Source):
    """A program web page, fetched politely on every run. The extractor is picked by each page's URL
    (ingest.extract.sites.ROUTES), so a source needs no site family of its own."""

    kind: Literal["html"]
    url: str = Field(pattern=r"^https?://")
    allowed_domains: list[str] = Field(description="A redirect outside these domains is refused.")
    follow: list[FollowRule] = Field(default_factory=list)
    documents: bool = Field(
        False,
        description="Also fetch the call guidelines (公募要領, 'Application Guidelines') its pages link to.",
    )
    counterpart: str | None = Field(
        None,
        pattern=r"^https?://",
        description="The same page in the other language (Japanese ↔ English), fetched and merged with it.",
    )
    language: Literal["ja", "en"] | None = Field(
        None, description="The language of `url`; default: the page's <html lang>."
    )
    discover_counterpart: bool = Field(
        False,
        description="Find the counterpart from the page's language switch ('English', '日本語', hreflang).",
    )

    @property
    def location(self) -> str:
        return self.url


Source = Annotated[PdfSource | HtmlSource, Field(discriminator="kind")]


class NotifySettings(BaseModel):
    """`[notify]`: where the run's digest goes (Apprise URLs; secrets belong in $INGEST_NOTIFY instead),
    the least severe change it lists, and how many days ahead it reminds of closing deadlines."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(default_factory=list, description="Apprise URLs (mailto://, json://, ...).")
    min_severity: Severity = Field(Severity.MEDIUM, description="Changes less severe are left out.")
    remind_days: int = Field(14, ge=0, description="Remind of calls closing within this many days.")


class LanguageSettings(BaseModel):
    """`[languages]`: how long the English page of a changed Japanese page may lag before it is flagged."""

    model_config = ConfigDict(extra="forbid")

    grace_days: int = Field(
        14,
        ge=0,
        description="Days after the Japanese page changed before an unchanged English page is flagged.",
    )


class SourceList(BaseModel):
    """The whole sources.toml: `[fetch]` settings, `[extract]` limits, `[notify]`, `[languages]`, the
    `[[source]]` list."""

    model_config = ConfigDict(extra="forbid")

    fetch: FetchSettings = Field(default_factory=FetchSettings)
    extract: ExtractLimits = Field(default_factory=ExtractLimits)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    languages: LanguageSettings = Field(default_factory=LanguageSettings)
    source: list[Source]

    @field_validator("source")
    @classmethod
    def _unique_ids(cls, value: list[PdfSource | HtmlSource]) -> list[PdfSource | HtmlSource]:
        seen: set[str] = set()
        for source in value:
            if source.id in seen:
                raise ValueError(f"source id {source.id!r} is declared twice")
            seen.add(source.id)
        return value


def load_sources(folder: Path) -> SourceList:
    """The declared sources and fetch settings; ConfigError naming the file and the first problem."""
    path = folder / SOURCES_FILE
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (is --sources pointing at the sources folder?)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    try:
        return SourceList.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
