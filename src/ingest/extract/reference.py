"""The reference document's structure → program records.

Works on styled lines (ingest.extract.pdf.Line), never on coordinates of one particular rendering:
section headings are bracketed lines, program titles are bold lines at body size, and everything
between two titles belongs to the first. Paragraphs are rebuilt from line gaps, list markers and
labels, so another producer's fonts, margins and page breaks give the same records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median

from ingest.extract.catalogue import Catalogue, load_catalogue
from ingest.extract.pdf import Line, PdfText
from ingest.extract.periods import call_period
from ingest.models import CallPeriod, Category, Contact, Program, Provenance, ProvenanceKind

BULLETS = "·•‧∙●○◦▪▫■□-–*・"
# Private-use glyphs and unmapped "(cid:127)" codes are how some fonts' bullets come out of pdfminer.
_BULLET = re.compile(rf"^(?:[{re.escape(BULLETS)}]|[\ue000-\uf8ff]|\(cid:\d+\))\s*")
_NUMBERED = re.compile(r"^\(?\d{1,2}[.)]\s+")
_URL = re.compile(r"https?://[^\s<>\"')\]]+|www\.[^\s<>\"')\]]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_URL_TAIL_CHARS = re.compile(r"^[A-Za-z0-9/_.#?=&%~+-]+$")
_SEPARATOR = re.compile(r"^[=_*~\-]{3,}$")
_WEBSITE_LABEL = re.compile(
    r"^(?:program\s+)?(?:website|web\s*site|program\s+description|homepage|url)\s*:", re.I
)
_CONTACT_LABEL = re.compile(r"^(?:contacts?|e-?mail|inquiries)\s*:\s*", re.I)
_CALL_LABEL = re.compile(
    r"^(?P<label>[^:]{0,80}?\b(?:call|deadline|application\s+period|submission)s?\b[^:]{0,60}?)\s*:\s*(?P<value>.*)$",
    re.I,
)
_NOTE_LABEL = re.compile(r"^notes?\s*:\s*", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"“(]?[A-Z])")
_TERMINAL = re.compile(r"[.:;!?]$")
_YEAR = re.compile(r"\b(20\d{2})\b")

# A sentence is eligibility when it says who may apply or on what conditions.
_ELIGIBILITY_CUES = re.compile(
    r"\beligib|\bmust\b|\bmay apply\b|\bcan apply\b|\bregardless of nationality\b|\brequired to\b"
    r"|\bprovided that\b|\bconditions?\b|\bsolely\b|\bnot possible\b|\bessential to\b|\bparticipating\b"
    r"|\bmember organi[sz]ations\b|\bif it is approved\b|\bapplicants?\b|\bvary depending\b"
    r"|\byou have the opportunity\b|\bonly (?:from|to|for)\b",
    re.I,
)
# Boilerplate that points elsewhere rather than stating a rule: notes, even when it says "eligibility".
_NOTE_CUES = re.compile(
    r"subject to change|refer to the official website|for (?:more|specific|further) (?:information|details)"
    r"|please (?:contact|start by visiting|check)|^note\b",
    re.I,
)
_SECTION_CATEGORIES = (
    (re.compile(r"affiliated with an overseas|while affiliated", re.I), Category.AFFILIATED_OVERSEAS),
    (re.compile(r"moving to japan|move to japan", re.I), Category.MOVING_TO_JAPAN),
    (
        re.compile(r"member of a japanese|remaining abroad|remain abroad", re.I),
        Category.MEMBER_OF_JAPANESE_TEAM,
    ),
)


@dataclass
class Block:
    """The lines of one program entry, from its bold title to the next title or heading."""

    title: str
    category: Category | None
    pages: list[int]
    lines: list[Line] = field(default_factory=list)


@dataclass
class Paragraph:
    text: str
    marker: str | None = None  # "- " or "3. " for list items


def parse_reference(
    pdf: PdfText,
    *,
    source_id: str,
    content_sha256: str,
    extracted_at: datetime | None = None,
    url: str | None = None,
) -> list[Program]:
    """Every program in the reference document, one record per program (merged across headings).
    `url`: where a PDF linked from a web page was fetched (None for the curated reference PDF)."""
    catalogue = load_catalogue()
    extracted_at = extracted_at or datetime.now(UTC)
    origin = Provenance(
        source=source_id,
        kind=ProvenanceKind.REFERENCE_PDF if url is None else ProvenanceKind.LINKED_PDF,
        url=url,
        content_sha256=content_sha256,
        extracted_at=extracted_at,
    )
    records: dict[str, Program] = {}
    pitch = line_pitch(pdf.lines)
    for block in split_blocks(pdf.lines):
        program = _program_from_block(block, pitch, pdf, catalogue, origin)
        if program.id in records:
            _merge_repeat(records[program.id], program)
        else:
            records[program.id] = program
    return list(records.values())


def split_blocks(lines: list[Line]) -> Iterator[Block]:
    """Group lines under their program titles, remembering the section heading each falls under."""
    body_size = _body_size(lines)
    has_bold = any(line.bold for line in lines)
    category: Category | None = None
    block: Block | None = None
    for line in _merge_wrapped_headings(lines, body_size):
        if _is_heading(line, body_size):
            category = _category_for(line.text) or category
            if block:
                yield block
            block = None
            continue
        if category is None:
            continue  # the document's own title and notes come before the first heading
        if _is_title(line, body_size, has_bold):
            if block and block.lines == [] and block.title:  # a title that wrapped onto a second line
                block.title = f"{block.title} {line.text}"
                if line.page not in block.pages:
                    block.pages.append(line.page)
                continue
            if block:
                yield block
            block = Block(title=_BULLET.sub("", line.text).strip(), category=category, pages=[line.page])
            continue
        if block is None or _SEPARATOR.match(line.text):
            continue  # a section's introduction, or a rule between entries
        block.lines.append(line)
        if line.page not in block.pages:
            block.pages.append(line.page)
    if block:
        yield block


def _body_size(lines: list[Line]) -> float:
    sizes = [line.size for line in lines if not line.bold] or [line.size for line in lines] or [10.0]
    return median(sizes)


def _is_heading(line: Line, body_size: float) -> bool:
    text = line.text.strip()
    return text.startswith("[") and text.endswith("]") and (line.bold or line.size > body_size)


def _is_title(line: Line, body_size: float, has_bold: bool) -> bool:
    if has_bold:
        return line.bold and line.size <= body_size * 1.15
    # A rendering without bold fonts: a short bulleted line that is not a sentence.
    return bool(_BULLET.match(line.text)) and len(line.text) < 140 and not _TERMINAL.search(line.text)


def _merge_wrapped_headings(lines: list[Line], body_size: float) -> Iterator[Line]:
    """A bracketed heading that wrapped onto two lines is read as one line."""
    pending: Line | None = None
    for line in lines:
        if pending is not None:
            merged = Line(
                f"{pending.text} {line.text}",
                pending.page,
                pending.bold,
                pending.size,
                pending.top,
                pending.gap_before,
            )
            if merged.text.endswith("]") or not (line.bold or line.size > body_size):
                yield merged if merged.text.endswith("]") else pending
                if not merged.text.endswith("]"):
                    yield line
                pending = None
            else:
                pending = merged
            continue
        if line.text.startswith("[") and not line.text.endswith("]") and (line.bold or line.size > body_size):
            pending = line
            continue
        yield line
    if pending is not None:
        yield pending


def _category_for(heading: str) -> Category | None:
    return next((category for pattern, category in _SECTION_CATEGORIES if pattern.search(heading)), None)


# -- paragraphs -------------------------------------------------------------------------------------


def paragraphs(lines: list[Line], pitch: float) -> list[Paragraph]:
    """Rebuild paragraphs: a new one starts at a list marker, a label, a link, a wide gap, after a
    line ending in a colon, or after a sentence end at a page break; wrapped lines, split URLs and
    e-mail addresses are joined back. `pitch` is the document's usual gap between wrapped lines."""
    result: list[Paragraph] = []
    for line in lines:
        text = line.text
        marker = _list_marker(text)
        previous = result[-1].text if result else ""
        new_page = line.gap_before == float("inf")
        starts_new = (
            not result
            or marker is not None
            or _is_label(text)
            or previous.endswith(":")
            or (bool(_URL.match(text)) and not _continues_address(previous.split()[-1], text.split()[0]))
            or (not new_page and line.gap_before > pitch * 1.8)
            or (new_page and bool(_TERMINAL.search(previous)))
        )
        if starts_new:
            body = text[len(marker) :] if marker else text
            result.append(Paragraph(text=body.strip(), marker=_normal_marker(marker)))
        else:
            result[-1].text = join_wrapped(previous, text)
    return result


def line_pitch(lines: list[Line]) -> float:
    """The typical gap between two wrapped lines of one paragraph (the lower quartile of all gaps)."""
    gaps = sorted(line.gap_before for line in lines if 0 <= line.gap_before < 60)
    return max(gaps[len(gaps) // 4], 0.5) if gaps else 3.0


def _list_marker(text: str) -> str | None:
    if (match := _NUMBERED.match(text)) or (match := _BULLET.match(text)):
        if _BULLET.match(text) and text[:1] in "-–" and not text[1:2].isspace():
            return None  # "-based" or "–Noon" continuing a line is not a bullet
        return match.group(0)
    return None


def _normal_marker(marker: str | None) -> str | None:
    if marker is None:
        return None
    number = re.search(r"\d+", marker)
    return f"{number.group(0)}. " if number else "- "


def _is_label(text: str) -> bool:
    return bool(
        _WEBSITE_LABEL.match(text)
        or _CONTACT_LABEL.match(text)
        or _CALL_LABEL.match(text)
        or _NOTE_LABEL.match(text)
    )


def _is_bare_link(text: str) -> bool:
    return bool(_URL.fullmatch(text.strip()))


def join_wrapped(previous: str, following: str) -> str:
    """Join a wrapped line to the one before it: URLs and addresses without a space, hyphenated
    compounds keep their hyphen, soft hyphens vanish, everything else gets one space."""
    last = previous.split()[-1] if previous.split() else ""
    first = following.split()[0] if following.split() else ""
    if previous.endswith("\u00ad"):
        return previous[:-1] + following
    if _continues_address(last, first):
        return previous + following
    if re.search(r"[A-Za-z0-9]-$", previous) and first[:1].isalnum():
        return previous + following
    return f"{previous} {following}"


def _continues_address(last: str, first: str) -> bool:
    if not first or not _URL_TAIL_CHARS.match(first.rstrip(".,;)")):
        return False
    if _URL.match(last):
        return (
            last.endswith(("/", ".", "_", "-", "?", "=", "&", "#", "%"))
            or first.startswith(("/", ".", "_", "-", "?", "#"))
            or bool(re.fullmatch(r"[\w-]*[/.][\w/.-]*", first.rstrip(".,;)")))
        )
    return (
        last.endswith("@")
        or first.startswith("@")
        or ("@" in last and (last.endswith(".") or first.startswith(".")))
    )


# -- one program --------------------------------------------------------------------------------------


def _program_from_block(
    block: Block,
    pitch: float,
    pdf: PdfText,
    catalogue: Catalogue,
    origin: Provenance,
) -> Program:
    parts = _read_paragraphs(paragraphs(block.lines, pitch))
    annotation_links = [uri for page in block.pages for uri in pdf.links.get(page, [])]
    website = _repair_url(parts.website, annotation_links) if parts.website else None
    links = _unique(_repair_url(url, annotation_links) for url in parts.links if url != website)
    agencies = _agencies(block.title, " ".join(parts.prose), website, links, parts.contacts, catalogue)
    program_id = catalogue.identify(block.title, agencies)
    program = Program(
        id=program_id,
        name=block.title,
        agencies=agencies,
        categories=[block.category] if block.category else [],
        summary="\n".join(parts.summary),
        eligibility="\n".join(parts.eligibility),
        notes=parts.notes,
        website=website,
        links=links,
        contacts=parts.contacts,
        calls=parts.calls,
        provenance=[origin.model_copy(update={"pages": sorted(block.pages)})],
    )
    program.provenance[0].fields = _supplied_fields(program)
    return program


@dataclass
class _Parts:
    summary: list[str] = field(default_factory=list)
    eligibility: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    website: str | None = None
    links: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    calls: list[CallPeriod] = field(default_factory=list)


def _read_paragraphs(items: list[Paragraph]) -> _Parts:
    parts = _Parts()
    call_header: str | None = None  # "2025 Call for Applications:" with its dates on later lines
    call_sublabel: str | None = None
    list_class: str | None = None  # the class a list inherits from the sentence introducing it
    in_contacts = False
    for item in items:
        text = item.text
        if item.marker is None:
            list_class = None
        if (match := _WEBSITE_LABEL.match(text)) and (url := _URL.search(text[match.end() :])):
            parts.website = parts.website or url.group(0)
            in_contacts = False
            continue
        if match := _CONTACT_LABEL.match(text):
            parts.contacts.extend(_contacts(text[match.end() :]))
            in_contacts = True
            continue
        if in_contacts and _EMAIL.match(text):
            parts.contacts.extend(_contacts(text))
            continue
        in_contacts = False
        if _NOTE_LABEL.match(text):
            parts.notes.append(text)
            continue
        if _is_bare_link(text):
            parts.links.append(text.strip())
            continue
        if match := _CALL_LABEL.match(text):
            label, value = match.group("label").strip(), match.group("value").strip()
            if not value:
                call_header, call_sublabel = label, None
                continue
            full_label = " — ".join(x for x in (call_header, call_sublabel, label) if x)
            parts.calls.append(call_period(value, label=full_label, year=_context_year(call_header, label)))
            continue
        if call_header is not None and call_sublabel is None and not _is_sentence(text):
            call_sublabel = text  # "For the joint research program …" names the call that follows
            continue
        parts.links.extend(url.group(0) for url in _URL.finditer(text))
        parts.prose.append(text)
        if item.marker is not None and list_class is not None:
            getattr(parts, list_class).append(item.marker + text)
            continue
        for sentence_class, sentence in _classify(text):
            target = getattr(parts, sentence_class)
            if item.marker is not None:
                target.append(item.marker + text)
                break
            target.append(sentence)
        if item.marker is None and text.endswith(":"):
            list_class = next(cls for cls, _ in reversed(_classify(text)))
    parts.summary = _join_prose(parts.summary)
    parts.eligibility = _join_prose(parts.eligibility)
    return parts


def _is_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text))


def _join_prose(chunks: list[str]) -> list[str]:
    """Prose sentences run together on one line; list items each keep a line of their own."""
    lines: list[str] = []
    for chunk in chunks:
        is_item = bool(re.match(r"^(?:- |\d+\. )", chunk))
        if lines and not is_item and not re.match(r"^(?:- |\d+\. )", lines[-1]):
            lines[-1] = f"{lines[-1]} {chunk}"
        else:
            lines.append(chunk)
    return lines


def _classify(text: str) -> list[tuple[str, str]]:
    """Split prose into sentences and say, for each, whether it is summary, eligibility or a note."""
    result: list[tuple[str, str]] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if _NOTE_CUES.search(sentence):
            result.append(("notes", sentence))
        elif _ELIGIBILITY_CUES.search(sentence):
            result.append(("eligibility", sentence))
        else:
            result.append(("summary", sentence))
    return result


def _context_year(*texts: str | None) -> int | None:
    for text in texts:
        if text and (match := _YEAR.search(text)):
            return int(match.group(1))
    return None


def _contacts(text: str) -> list[Contact]:
    """'a@x.jp (Label) b@x.jp (Other label)' → contacts with their labels."""
    contacts: list[Contact] = []
    matches = list(_EMAIL.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        rest = text[match.end() : end].strip()
        label = re.match(r"^\((.+?)\)", rest)
        contacts.append(Contact(email=match.group(0), label=label.group(1) if label else None))
    return contacts


def _repair_url(url: str, annotations: list[str]) -> str:
    """Prefer a link annotation when the printed URL is a truncated form of it."""
    url = url.rstrip(".,;")
    longer = [uri for uri in annotations if uri.startswith(url) and len(uri) > len(url)]
    return min(longer, key=len) if longer and not url.endswith((".html", ".htm", ".pdf")) else url


def _agencies(
    title: str,
    prose: str,
    website: str | None,
    links: list[str],
    contacts: list[Contact],
    catalogue: Catalogue,
) -> list[str]:
    """Agencies from the hosts the entry points at; failing that, the agency its title or text names."""
    found: list[str] = []
    hosts = [website or "", *links, *(f"https://{c.email.split('@')[1]}/" for c in contacts if c.email)]
    for url in hosts:
        agency = catalogue.agency_for_url(url)
        if agency and agency not in found:
            found.append(agency)
    if found:
        return found
    known = sorted(set(catalogue.agency_hosts.values()))
    for text in (title, prose):
        mentions = [(m.start(), m.group(0)) for name in known for m in re.finditer(rf"\b{name}\b", text)]
        if mentions:
            return [min(mentions)[1]]
    return []


def _merge_repeat(first: Program, repeat: Program) -> None:
    """The same program listed under a second heading: one record, both categories, all pages."""
    for category in repeat.categories:
        if category not in first.categories:
            first.categories = [*first.categories, category]
    pages = sorted(set(first.provenance[0].pages) | set(repeat.provenance[0].pages))
    first.provenance[0].pages = pages


def _supplied_fields(program: Program) -> list[str]:
    data = program.model_dump(exclude={"id", "provenance"})
    return sorted(name for name, value in data.items() if value not in (None, "", []))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
