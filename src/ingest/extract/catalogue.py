"""Program identity: the stable id of a record, and the agencies behind a host name.

The rules are data (catalogue.toml) so that a renamed program is one edited line, not code.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from ingest.normalize import canonical_text, clean_text, slugify

# Words that change every edition and must not leak into a derived id.
# Years change every edition; other numbers ("No. 0001") identify the program and stay.
_VOLATILE = re.compile(r"\b(?:FY\s?(?:19|20)\d{2}|(?:19|20)\d{2}|fiscal year|call for \w+)\b", re.IGNORECASE)
# The same in Japanese titles: the fiscal year in either calendar (令和8年度, 2026年度), the round
# (第3回), and the words of the announcement around the program's name (公募, 募集要項, のお知らせ).
_VOLATILE_JA = re.compile(
    r"(?:令和|平成)\s*(?:\d+|元)\s*年度?|(?:19|20)\d{2}\s*年度?|第\s*\d+\s*回"
    r"|(?:公募|募集)(?:要領|要項|案内|開始|情報)?|のお知らせ|について|[「」『』【】]"
)
# A number that names the program ("No. 2025", "Nr. 7", "#12") is never a year, whatever its digits.
_DESIGNATOR = re.compile(r"(?:\b(?:No|Nos|Nr|Number)\b\.?|#)\s*\d+[A-Za-z]?\b", re.IGNORECASE)
_MAX_ID = 60
_HASH_LENGTH = 8


@dataclass(frozen=True)
class KnownProgram:
    id: str
    name: str
    patterns: tuple[re.Pattern[str], ...]
    agency: str | None = None

    def matches(self, title: str, agencies: list[str]) -> bool:
        if self.agency is not None and self.agency not in agencies:
            return False
        return any(pattern.search(title) for pattern in self.patterns)


@dataclass(frozen=True)
class Catalogue:
    programs: tuple[KnownProgram, ...]
    agency_hosts: dict[str, str]

    def identify(self, title: str, agencies: list[str]) -> str:
        """The stable id for a program titled `title` run by `agencies`."""
        title = clean_text(title).replace("\n", " ")
        for program in self.programs:
            if program.matches(title, agencies):
                return program.id
        return derive_id(title)

    def known_ids(self) -> set[str]:
        return {program.id for program in self.programs}

    def agency_for_url(self, url: str) -> str | None:
        host = (urlsplit(url).hostname or "").lower()
        for domain, agency in self.agency_hosts.items():
            if host == domain or host.endswith("." + domain):
                return agency
        return None


def derive_id(title: str) -> str:
    """An id for a program the catalogue does not know: its acronym in parentheses, else its title,
    without the words that change every edition, keeping the number that names the program.

    Distinct titles never share an id: a slug longer than the limit keeps its readable start and
    ends with a short hash of the whole slug instead of being cut (cutting merged "… Program No.
    0016" with "… Program No. 0017")."""
    title = clean_text(title)  # full-width forms: （SICORP） is an acronym, ２０２６年度 a year
    designators = [match.group() for match in _DESIGNATOR.finditer(title)]
    acronyms = [a for a in re.findall(r"\(([A-Z][A-Za-z0-9-]{1,15})\)", title) if not _VOLATILE.fullmatch(a)]
    if acronyms:
        base = " ".join([acronyms[-1], *designators])
    else:
        # Volatile words are removed only around the designators, which stay whole.
        parts: list[str] = []
        for piece, designator in zip(_DESIGNATOR.split(title), [*designators, ""], strict=True):
            parts += [_VOLATILE.sub(" ", piece), designator]
        base = " ".join(parts)
    slug = slugify(base)
    if not re.search("[a-z]", slug):
        # Nothing readable in ASCII (a Japanese title: slugify keeps only the digits of 令和8年度, so
        # every such program became "8"): the id is a hash of the title without its volatile words.
        name = canonical_text(_VOLATILE_JA.sub(" ", _VOLATILE.sub(" ", canonical_text(title))))
        digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LENGTH]
        return f"{'program' if name.isascii() else 'ja'}-{digest}"
    if len(slug) <= _MAX_ID:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:_HASH_LENGTH]
    head = slug[: _MAX_ID - _HASH_LENGTH - 1]
    head = head.rsplit("-", 1)[0] if "-" in head else head  # whole words only
    return f"{head.strip('-')}-{digest}"


@cache
def load_catalogue() -> Catalogue:
    data = tomllib.loads(resources.files("ingest.extract").joinpath("catalogue.toml").read_text("utf-8"))
    programs = tuple(
        KnownProgram(
            id=entry["id"],
            name=entry["name"],
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in entry["match"]),
            agency=entry.get("agency"),
        )
        for entry in data["program"]
    )
    return Catalogue(programs=programs, agency_hosts=dict(data["agencies"]))
