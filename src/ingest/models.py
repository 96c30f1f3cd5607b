"""The records ingest keeps: one pydantic model per concept, validated on the way in and out.

Everything written to a snapshot or export goes through these models, and the JSON Schema that
`ingest schema` publishes is generated from them.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ingest.errors import ErrorKind
from ingest.normalize import clean_text, strip_controls

SCHEMA_VERSION = "1"
# The agencies' deadlines are Japan time (UTC+9, no summer time). The one constant every module uses.
JAPAN = ZoneInfo("Asia/Tokyo")


def _parse_moment(value: Any) -> Any:
    """ISO strings of length 10 are dates, longer ones datetimes; pydantic alone would make
    "2025-04-10" a midnight datetime, which claims a precision the source never gave."""
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    return value


def _require_aware(value: date | datetime | None) -> date | datetime | None:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("a datetime must carry its UTC offset (Japan time is +09:00)")
    return value


Day = date  # a field named `date` would shadow the type inside its class
Moment = Annotated[date | datetime | None, BeforeValidator(_parse_moment)]
CleanText = Annotated[str, BeforeValidator(lambda v: clean_text(v) if isinstance(v, str) else v)]
# Text kept as given (URLs, error messages) but never with control characters: scraped or
# server-sent text must not drive a terminal, an XML parser or a spreadsheet.
PlainText = Annotated[str, BeforeValidator(lambda v: strip_controls(v) if isinstance(v, str) else v)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=True)


class Category(StrEnum):
    """The reference document's three headings, i.e. how an overseas researcher can take part."""

    AFFILIATED_OVERSEAS = "affiliated-overseas"
    MOVING_TO_JAPAN = "moving-to-japan"
    MEMBER_OF_JAPANESE_TEAM = "member-of-japanese-team"


class Precision(StrEnum):
    MINUTE = "minute"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class CallStatus(StrEnum):
    DATED = "dated"  # at least one of opens/closes is known
    TBD = "tbd"  # the source says the dates are still to be decided
    ROLLING = "rolling"  # applications are accepted at any time ("常時公募", "随時", "at any time")
    VARIES = "varies"  # dates depend on sub-programs ("Depends on programs")
    CLOSED = "closed"  # the source says the call has closed
    UNPARSED = "unparsed"  # the text names a call but no date could be read from it


class CallPeriod(Record):
    """One call for proposals: the text as printed and its normalized dates in Japan time."""

    label: CleanText | None = Field(
        None, description="What the call is, as printed ('2025 call for proposals')."
    )
    raw: CleanText = Field(description="The call's text exactly as extracted (after text normalization).")
    opens: Moment = Field(
        None, description="ISO 8601: a date, or a datetime with +09:00 when a time is given."
    )
    closes: Moment = Field(
        None, description="ISO 8601: a date, or a datetime with +09:00 when a time is given."
    )
    opens_precision: Precision | None = None
    closes_precision: Precision | None = None
    status: CallStatus = CallStatus.UNPARSED
    warnings: list[str] = Field(
        default_factory=list, description="Doubts found while parsing (e.g. weekday mismatch)."
    )
    source: str | None = Field(None, description="Source id that stated this call, once records are merged.")

    _aware_opens = field_validator("opens")(_require_aware)
    _aware_closes = field_validator("closes")(_require_aware)


class Contact(Record):
    email: str | None = None
    label: CleanText | None = Field(None, description="Who the address is for, as printed.")
    phone: PlainText | None = None
    address: CleanText | None = None
    rebuilt: bool = Field(False, description="True when the address was rebuilt from an obfuscated form.")

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = clean_text(value).lower()
        local, at, domain = value.partition("@")
        if not (local and at and "." in domain):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value


class ProvenanceKind(StrEnum):
    """What kind of document a record was read from: it decides how records are merged and matched."""

    REFERENCE_PDF = "reference-pdf"  # the curated reference document, a PDF in the sources folder
    LINKED_PDF = "linked-pdf"  # a PDF reached from a program's web page (a `follow` rule)
    WEB_PAGE = "web-page"  # a program's or call's web page


class Provenance(Record):
    """Where a record (or the part of it merged from one source) came from."""

    source: str = Field(description="Source id from sources/sources.toml.")
    kind: ProvenanceKind = Field(description="The kind of document the data was read from.")
    url: str | None = Field(None, description="The page or document fetched, for website sources.")
    pages: list[int] = Field(default_factory=list, description="PDF page numbers (1-based) the record spans.")
    content_sha256: str
    extracted_at: datetime
    fields: list[str] = Field(default_factory=list, description="The record fields this source supplied.")
    stale: bool = Field(
        False, description="True when carried forward from an earlier run because the source failed."
    )
    last_verified: datetime | None = Field(
        None, description="When the source last gave this data successfully."
    )
    unused_dates: list[PlainText] = Field(
        default_factory=list,
        description="Lines of the page that hold a date no call was read from: what the extractor may miss.",
    )
    language: str | None = Field(
        None,
        description="'ja' or 'en' for a page paired with its other-language counterpart; left out otherwise.",
        exclude_if=lambda value: value is None,  # records of unpaired pages stay byte-identical to older ones
    )
    counterpart: PlainText | None = Field(
        None,
        description="The same page in the other language, when paired; left out otherwise.",
        exclude_if=lambda value: value is None,
    )

    @model_validator(mode="before")
    @classmethod
    def _kind_of_older_records(cls, data: Any) -> Any:
        """Records stored before `kind` existed: a PDF had no URL, a web page had one."""
        if isinstance(data, dict) and "kind" not in data:
            web = data.get("url") is not None
            data = {**data, "kind": ProvenanceKind.WEB_PAGE if web else ProvenanceKind.REFERENCE_PDF}
        return data


class Conflict(Record):
    """Two sources disagree on a review-worthy field; both values are kept for a reviewer to settle."""

    field: str
    values: dict[str, Any] = Field(description="Source id → the value that source gives.")


class DeclaredUpdate(Record):
    """A dated entry of a page's own change log (更新履歴, "Update details", "[Updated May 28, 2025]",
    "(Last updated 13 May 2025)"): what the site says it changed, and on which page."""

    date: Day = Field(description="The entry's date as printed (Japan time), ISO 8601.")
    text: CleanText = Field(description="What the site says it changed, as printed.")
    url: PlainText | None = Field(None, description="The page that carries the entry.")


class Document(Record):
    """A call guideline (公募要領, "Application Guidelines") linked from a program's call page: the
    authoritative call text, kept as a child document of the program with what it says."""

    title: CleanText = Field(description="The link text, as printed on the page.")
    url: PlainText
    linked_from: PlainText | None = Field(None, description="The page the link is on.")
    size: int | None = Field(None, description="Bytes.")
    sha256: str | None = Field(None, description="SHA-256 of the bytes; new bytes are a revision.")
    revision: CleanText | None = Field(
        None, description="The revision note printed beside the link ('［令和8年4月15日修正］')."
    )
    pages: int | None = Field(None, description="The PDF's page count.")
    calls: list[CallPeriod] = Field(default_factory=list, description="The call period it states.")
    eligibility: CleanText = Field("", description="The eligibility chapter's heading and first line.")
    contacts: list[Contact] = Field(default_factory=list)
    evidence: dict[str, list[int]] = Field(
        default_factory=dict, description="Field → the PDF pages (1-based) it was read from."
    )
    warnings: list[str] = Field(default_factory=list, description="What could not be read from it.")
    stale: bool = Field(
        False, description="True when carried forward because the document could not be fetched."
    )


class Program(Record):
    """One funding program, identified by a stable id that survives wording and website changes."""

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    name: CleanText
    agencies: list[str] = Field(
        default_factory=list, description="Agency acronyms, e.g. JST, AMED, JSPS, HFSPO."
    )
    categories: list[Category] = Field(default_factory=list)
    summary: CleanText = ""
    eligibility: CleanText = Field("", description="Who may apply and on what conditions.")
    notes: list[CleanText] = Field(
        default_factory=list, description="Advice and disclaimers printed with it."
    )
    website: PlainText | None = None
    links: list[PlainText] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    calls: list[CallPeriod] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    provenance: list[Provenance] = Field(default_factory=list)
    declared_updates: list[DeclaredUpdate] = Field(
        default_factory=list, description="The dated entries of its pages' own change logs."
    )
    documents: list[Document] = Field(
        default_factory=list,
        description="Call guidelines linked from its call pages (child documents); left out when none.",
        exclude_if=lambda value: not value,  # records without any stay byte-identical to older ones
    )

    @field_validator("provenance")
    @classmethod
    def _has_source(cls, value: list[Provenance]) -> list[Provenance]:
        if not value:
            raise ValueError("a program record must say where it came from")
        return value


# Fields that describe the extraction rather than the program: never part of a diff. A page's change
# log is the site's own account of its edits: it is reconciled with the changes (ingest.declared),
# never reported as a change itself.
VOLATILE_FIELDS = frozenset({"provenance", "declared_updates"})


class ChangeCategory(StrEnum):
    DEADLINE = "deadline"
    ELIGIBILITY = "eligibility"
    CONTACT = "contact"
    WEBSITE = "website"
    ADDED = "added"
    REMOVED = "removed"
    OTHER = "other"
    EXTRACTION = "extraction"  # a field the extractor could no longer find: a problem, not a removal
    CONFLICT = "conflict"  # two sources disagree on a review-worthy field
    DOCUMENT = "document"  # a call guideline was added, revised (new bytes) or removed


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Evidence(Record):
    """The raw text a value came from, so a reviewer can check it without opening the source."""

    source: str
    url: str | None = None
    pages: list[int] = Field(default_factory=list)
    text: PlainText = ""


class FoldedValue(Record):
    """An attribute of a call that changed together with the call's main change and is shown with it
    (['calls', key, 'raw']: the printed text, evidence of the date change rather than a change of its own)."""

    attribute: str
    old: Any = None
    new: Any = None
    id: str = Field(
        description="The id this value's change would have on its own (not a change id to decide)."
    )


class Change(Record):
    """One reviewable difference between two snapshots of a program."""

    id: str = Field(description="Stable: a hash of program, field, old and new values.")
    program: str
    program_name: PlainText = ""
    category: ChangeCategory
    field: str = Field(
        description="Dotted path inside the record, e.g. calls[2025 call for proposals].closes."
    )
    path: list[str | int] = Field(
        default_factory=list,
        description="The same path as keys, e.g. ['calls', '2025 call for proposals', 'closes'].",
    )
    old: Any = None
    new: Any = None
    review: bool
    severity: Severity = Severity.LOW
    detail: PlainText = ""
    old_evidence: list[Evidence] = Field(default_factory=list)
    new_evidence: list[Evidence] = Field(default_factory=list)
    also: list[FoldedValue] = Field(
        default_factory=list,
        description="Other attributes of the same call that changed with it (its printed text, its "
        "opening), folded into this one change; left out when none.",
        exclude_if=lambda value: not value,  # changes without any stay byte-identical to older ones
    )
    replaces: list[str] = Field(
        default_factory=list,
        description="The ids of the separate changes this one stands for (a yearly rollover: the old "
        "call's removal and the new call's addition); decisions on all of them settle it too.",
        exclude_if=lambda value: not value,
    )

    @model_validator(mode="before")
    @classmethod
    def _path_of_older_changes(cls, data: Any) -> Any:
        """Changes stored before `path` existed carry only the display string: read the keys back."""
        if isinstance(data, dict) and not data.get("path") and data.get("field"):
            data = {**data, "path": path_from_field(str(data["field"]))}
        return data


_FIELD_PATH = re.compile(r"^(?P<top>[a-z_]+)(?:\[(?P<key>.*)\])?(?:\.(?P<rest>.*))?$")


def path_from_field(field: str) -> list[str | int]:
    """'calls[2025 call].closes' → ['calls', '2025 call', 'closes']; 'conflicts.contacts' →
    ['conflicts', 'contacts'] (a conflict's field is one key). Only for changes stored without a path."""
    match = _FIELD_PATH.match(field)
    if match is None:
        return [field]
    top, key, rest = match.group("top", "key", "rest")
    if top == "conflicts":
        return [top, rest] if rest else [top]
    return [top, *([key] if key is not None else []), *(rest.split(".") if rest else [])]


class UndetectedUpdate(Record):
    """A change-log entry new since the previous snapshot on a page where ingest found no change: an
    extraction blind spot, or a change inside an attachment. Stored with the run, checked by hand."""

    program: str
    program_name: PlainText = ""
    date: Day
    text: CleanText
    url: PlainText | None = None


class SourceStatus(StrEnum):
    OK = "ok"  # fetched or read and extracted now
    NOT_MODIFIED = "not-modified"  # the server answered 304; stored bytes re-extracted
    PARTIAL = "partial"  # read, but some pages or fields were not: their last good values are kept
    FAILED = "failed"  # nothing usable this run; earlier records carried forward as stale
    NOT_RUN = "not-run"  # left out of this run (`run --only`): its previous result and records, as they were


class FetchedPage(Record):
    """One web page fetched for a source (its main page or a followed call page)."""

    url: str
    final_url: str | None = None
    status: int | None = None  # HTTP status of the final answer (304: stored bytes reused)
    error: PlainText | None = None
    error_kind: ErrorKind | None = None
    content_sha256: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[str] = Field(default_factory=list)
    extractor: str | None = None
    fell_back: bool = False
    missing: list[str] = Field(
        default_factory=list, description="Fields the site extractor expected but did not find."
    )


class SourceResult(Record):
    """What happened to one source in one run."""

    id: str
    kind: str
    location: str
    status: SourceStatus
    error: PlainText | None = None
    error_kind: ErrorKind | None = None
    content_sha256: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    final_url: str | None = None
    redirects: list[str] = Field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None
    records: int = 0
    stale_records: int = 0
    pages: list[FetchedPage] = Field(default_factory=list)
    problems: list[PlainText] = Field(
        default_factory=list, description="What went wrong short of failing the source."
    )


class Manifest(Record):
    """snapshots/<name>/manifest.json: what a snapshot was made from."""

    snapshot: str
    created_at: datetime
    tool_version: str
    extractor_fingerprint: str | None = Field(
        None, description="Hash of the extractor code that made the records."
    )
    schema_version: str = SCHEMA_VERSION
    previous: str | None = None
    sources: list[SourceResult]
    records_sha256: str
    programs: int
    notes: list[PlainText] = Field(
        default_factory=list,
        description="What the run worked around (an unfinished run, a corrupt snapshot).",
    )


class Export(Record):
    """The document `ingest export` writes: the latest snapshot's records in one normalized file."""

    schema_version: str = SCHEMA_VERSION
    snapshot: str
    created_at: datetime
    sources: list[SourceResult]
    records: list[Program]


def export_schema() -> dict[str, Any]:
    """JSON Schema of the export document, generated from the models (published as schema/)."""
    schema = Export.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://github.com/ingest-funding/ingest/schema/export-v{SCHEMA_VERSION}.json"
    return schema
