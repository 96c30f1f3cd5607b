"""The reference document's structure → program records.

Works on styled lines (ingest.extract.pdf.Line), never on coordinates of one particular rendering:
the outline (audience headings by their wording, program titles by their style relative to the body,
see ingest.extract.layout) splits the document, and everything between two titles belongs to the
first. Paragraphs are rebuilt from line gaps, list markers, table cells and labels, so another
producer's fonts, margins, page breaks and field arrangement give the same records.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ingest.errors import EmptyExtractError
from ingest.extract import layout
from ingest.extract.catalogue import Catalogue, load_catalogue
from ingest.extract.layout import BULLET as _BULLET
from ingest.extract.layout import CALL_LABEL as _CALL_LABEL
from ingest.extract.layout import CONTACT_LABEL as _CONTACT_LABEL
from ingest.extract.layout import NOTE_LABEL as _NOTE_LABEL
from ingest.extract.layout import WEBSITE_LABEL as _WEBSITE_LABEL
from ingest.extract.pdf import Line, PdfText
from ingest.extract.periods import call_period
from ingest.models import CallPeriod, Category, Contact, Program, Provenance, ProvenanceKind

_NUMBERED = re.compile(r"^\(?\d{1,2}[.)]\s+")
_URL = re.compile(r"https?://[^\s<>\"')\]]+|www\.[^\s<>\"')\]]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_URL_TAIL_CHARS = re.compile(r"^[A-Za-z0-9/_.#?=&%~+-]+$")
_SEPARATOR = re.compile(r"^[=_*~\-]{3,}$")
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
    `url`: where a PDF linked from a web page was fetched (None for the curated reference PDF).
    EmptyExtractError, naming what was not understood, when the outline cannot be read with confidence."""
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
    try:
        blocks = list(split_blocks(pdf.lines))
    except OutlineError as error:
        characters = sum(len(line.text) for line in pdf.lines)
        raise EmptyExtractError(
            f"{pdf.name or source_id}: the PDF opened ({pdf.pages} pages, {characters} characters of text) "
            f"but no funding program could be found in it: {error}"
        ) from None
    for block in blocks:
        program = _program_from_block(block, pitch, pdf, catalogue, origin)
        if program.id in records:
            _merge_repeat(records[program.id], program)
        else:
            records[program.id] = program
    return list(records.values())


class OutlineError(ValueError):
    """The document's outline (audience headings, program titles) could not be read; says which part."""


def split_blocks(lines: list[Line]) -> Iterator[Block]:
    """Group lines under their program titles, remembering the audience heading each falls under.
    OutlineError when no audience heading is found, a section-level heading names no audience, an
    audience heading has no program under it, or a line after the first heading is set apart like a
    heading but in neither the headings' nor the titles' style."""
    body = layout.body_style(lines)
    pitch = line_pitch(lines)
    lines = layout.normalize_fields(lines, body)
    entries = _audience_level(list(_outline(lines, body, pitch)))
    sections = [(i, line) for i, (kind, line, _) in enumerate(entries) if kind == "section"]
    if not sections:
        raise OutlineError(f"no audience heading was found (expected headings such as {layout.AUDIENCES})")
    section_keys = {_level_key(line) for _, line in sections}
    first = sections[0][0]
    titles = [
        line
        for kind, line, _ in entries[first:]
        if kind == "candidate" and _level_key(line) not in section_keys
    ]
    title_style = Counter(layout.style(line) for line in titles).most_common(1)[0][0] if titles else None
    has_titles = title_style is not None
    category: Category | None = None
    heading = ""
    block: Block | None = None
    found_in_section = 0
    for index, (kind, line, pages) in enumerate(entries):
        if index < first:
            continue  # the document's own title and notes come before the first heading
        if kind == "section" or (kind == "candidate" and _level_key(line) in section_keys):
            if category is not None and not found_in_section:
                raise OutlineError(f"no program title was found under the heading “{heading}”")
            category = layout.category_for(layout.heading_text(line.text))
            if category is None:
                raise OutlineError(
                    f"the heading “{line.text}” names none of the three audiences ({layout.AUDIENCES})"
                )
            heading, found_in_section = line.text, 0
            if block:
                yield block
            block = None
            continue
        if has_titles:
            is_title = kind == "candidate" and layout.style(line) == title_style
            if kind == "candidate" and not is_title and _looks_like_heading(line):
                # a title in a style of its own would otherwise vanish into the program before it
                raise OutlineError(
                    f"the line “{line.text}” is set apart like a heading, but neither like the audience "
                    "headings nor like the program titles"
                )
        else:
            is_title = _is_bullet_title(line)
        if is_title:
            if block:
                yield block
            found_in_section += 1
            block = Block(title=layout.title_text(line.text), category=category, pages=list(pages))
            continue
        if block is None or _SEPARATOR.match(line.text):
            continue  # a section's introduction, or a rule between entries
        block.lines.append(line)
        if line.page not in block.pages:
            block.pages.append(line.page)
    if category is not None and not found_in_section:
        raise OutlineError(f"no program title was found under the heading “{heading}”")
    if block:
        yield block


def _audience_level(entries: list[tuple[str, Line, list[int]]]) -> list[tuple[str, Line, list[int]]]:
    """Keep as audience headings only those at the level (style and numbering) the audience wordings are
    mostly printed at: a program title that happens to say "moving to Japan" stays a title."""
    wording: Counter[tuple[layout.Style, str]] = Counter()
    other: Counter[tuple[layout.Style, str]] = Counter()
    for kind, line, _ in entries:
        if kind != "body":
            (wording if kind == "section" else other)[_level_key(line)] += 1
    return [
        (
            "candidate"
            if kind == "section" and wording[_level_key(line)] < other[_level_key(line)]
            else kind,
            line,
            pages,
        )
        for kind, line, pages in entries
    ]


def _level_key(line: Line) -> tuple[layout.Style, str]:
    return layout.style(line), layout.marker_kind(line.text)


def _outline(lines: list[Line], body: layout.Style, pitch: float) -> Iterator[tuple[str, Line, list[int]]]:
    """(kind, line, pages): "section" for an audience heading, "candidate" for another line set apart from
    the body (a title, or a heading naming no audience), "body" for the rest. A candidate that wrapped onto
    further lines in its style is joined into one."""
    pending: Line | None = None
    pages: list[int] = []
    for line in lines:
        candidate = layout.is_candidate(line, body)
        if pending is not None:
            new_page = line.gap_before == float("inf")
            if (
                candidate
                and layout.style(line) == layout.style(pending)
                and (new_page or line.gap_before < max(pitch * 2.5, line.size * 0.8))
                and _continues_heading(pending.text, line.text)
                and not pending.text.rstrip().endswith(("]", "】"))
            ):
                pending = replace(pending, text=f"{pending.text} {line.text}")
                if line.page not in pages:
                    pages.append(line.page)
                continue
            yield (*_classified(pending), pages)
            pending = None
        if candidate:
            pending, pages = line, [line.page]
        else:
            yield "body", line, [line.page]
    if pending is not None:
        yield (*_classified(pending), pages)


def _continues_heading(heading: str, following: str) -> bool:
    """Whether a line in a heading's style continues it: not when it starts its own numbering, or a
    marker glyph other than the heading's (a title may wrap before " - Adopting …")."""
    kind = layout.marker_kind(following)
    return kind in ("", "bracket") or (kind.startswith("glyph") and kind != layout.marker_kind(heading))


def _classified(line: Line) -> tuple[str, Line]:
    """An audience heading is told by its wording, in any numbering, brackets or style."""
    if layout.category_for(layout.heading_text(line.text)) is not None and len(line.text) < 200:
        return "section", line
    return "candidate", line


def _looks_like_heading(line: Line) -> bool:
    return len(line.text) < 150 and not _TERMINAL.search(line.text) and not _SEPARATOR.match(line.text)


def _is_bullet_title(line: Line) -> bool:
    """A rendering without any styled titles: a short bulleted line that is not a sentence."""
    return bool(layout.BULLET.match(line.text)) and len(line.text) < 140 and not _TERMINAL.search(line.text)


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
            or line.row_start
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


def attach_values(items: list[Paragraph]) -> list[Paragraph]:
    """A label standing alone ("Website:", a table's label cell) takes the paragraph after it as its
    value, except that a call label followed by a line and then another call label is a call header
    with its sub-label ("2025 Call for Applications:" / "For the joint research program …" / "Deadline: …"),
    which stays as printed."""
    result: list[Paragraph] = []
    index = 0
    while index < len(items):
        item = items[index]
        following = items[index + 1] if index + 1 < len(items) else None
        if (
            item.marker is None
            and following is not None
            and _is_bare_label(item.text)
            and not _is_label(following.text)
        ):
            after = items[index + 2] if index + 2 < len(items) else None
            is_header = (
                bool(_CALL_LABEL.match(item.text))
                and after is not None
                and bool(_CALL_LABEL.match(after.text))
            )
            if not is_header:
                value = f"{following.marker or ''}{following.text}"
                result.append(Paragraph(text=f"{item.text} {value}", marker=None))
                index += 2
                continue
        result.append(item)
        index += 1
    return result


def _is_bare_label(text: str) -> bool:
    if not text.endswith(":"):
        return False
    if match := _CALL_LABEL.match(text):
        return not match.group("value")
    return bool(
        _WEBSITE_LABEL.fullmatch(text) or _CONTACT_LABEL.fullmatch(text) or _NOTE_LABEL.fullmatch(text)
    )


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
    parts = _read_paragraphs(attach_values(paragraphs(block.lines, pitch)))
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
