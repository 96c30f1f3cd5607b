"""Records for the same program from several sources → one record with per-source provenance.

Which source wins a field: the reference PDF is the curated English summary, so it wins the
descriptive fields (name, summary, eligibility, website); the websites are where deadlines move,
so every source's calls are kept, each tagged with its source, and a call stated twice under one label
is one call (`_merge_calls`). When the PDF and a website disagree on a review-worthy field (the PDF
says June 3, the call page June 10), both values stay in a `conflict` recorded for review. A Japanese
page and its English counterpart (ingest.languages) are compared the same way, and the Japanese value is
the one kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from ingest import languages
from ingest.models import (
    CallPeriod,
    CallStatus,
    Conflict,
    Contact,
    Document,
    Precision,
    Program,
    ProvenanceKind,
)
from ingest.normalize import canonical_text

_UNION_FIELDS = ("agencies", "categories", "links", "notes")
_SAME_CALL_WINDOW = timedelta(days=60)  # two closing dates this close are taken to be the same call


def merge_records(records: Iterable[Program]) -> list[Program]:
    """One record per id, in id order."""
    groups: dict[str, list[Program]] = {}
    for record in records:
        groups.setdefault(record.id, []).append(record)
    return [merge_group(groups[key]) for key in sorted(groups)]


def merge_group(records: list[Program]) -> Program:
    if len(records) == 1:
        only = records[0]
        calls = [_tagged(call, only) for call in only.calls]
        guideline = _guideline_conflicts(records, only.documents)
        if not guideline:
            if all(new is old for new, old in zip(calls, only.calls, strict=True)):
                return only  # every call already names its source (a re-run's records): nothing to copy
            return only.model_copy(update={"calls": calls})
        return only.model_copy(update={"calls": calls, "conflicts": [*only.conflicts, *guideline]})
    records, language_conflicts = _language_pairs(records)
    ordered = sorted(records, key=_rank)
    first = ordered[0]
    updates: dict[str, object] = {}
    for name in ("name", "summary", "eligibility", "website"):
        updates[name] = next((getattr(r, name) for r in ordered if getattr(r, name)), getattr(first, name))
    for name in _UNION_FIELDS:
        updates[name] = list(dict.fromkeys(item for r in ordered for item in getattr(r, name)))
    updates["contacts"] = _merge_contacts(ordered)
    updates["calls"] = _merge_calls(ordered)
    documents: dict[str, Document] = {}
    for record in ordered:  # a guideline linked from two pages is one document (the higher-ranked copy)
        for document in record.documents:
            documents.setdefault(document.url, document)
    updates["conflicts"] = (
        language_conflicts + _conflicts(ordered) + _guideline_conflicts(ordered, list(documents.values()))
    )
    updates["provenance"] = [p for r in ordered for p in r.provenance]
    declared = {(u.date, u.text, u.url): u for r in ordered for u in r.declared_updates}
    updates["declared_updates"] = sorted(declared.values(), key=lambda u: (u.date, u.text), reverse=True)
    if documents:
        updates["documents"] = list(documents.values())
    return first.model_copy(update=updates)


def _rank(record: Program) -> tuple[int, str, int]:
    """The reference document's records first, then websites (pages and the PDFs they link to) by
    source id; of a source's pages, an English page paired with a Japanese one after it (the Japanese
    text prevails)."""
    primary = record.provenance[0]
    english = primary.language == languages.ENGLISH
    return (0 if _is_reference(record) else 1, primary.source, 1 if english else 0)


def _language_pairs(records: list[Program]) -> tuple[list[Program], list[Conflict]]:
    """A Japanese page and its English counterpart: what they disagree on (a deadline of the same call,
    the contacts, the eligibility) is a conflict naming both values; the record keeps the Japanese
    value. An English call that is the same call as a Japanese one is dropped (it is stated once);
    an English call with no Japanese one is kept."""
    records, found = languages.pairs(records)
    conflicts: list[Conflict] = []
    replaced: dict[int, Program] = {}
    for pair in found:
        ja_calls = [c for r in pair.japanese for c in r.calls]
        ja_label = languages.label(languages.JAPANESE, pair.japanese_url)
        en_label = languages.label(languages.ENGLISH, pair.english_url)
        for english in pair.english:
            update: dict[str, object] = {}
            kept: list[CallPeriod] = []
            for call in english.calls:
                same = [c for c in ja_calls if call.closes is not None and _near(c.closes, call.closes)]
                if not same:
                    kept.append(call)
                elif not any(_agree(call, c) for c in same):
                    conflicts.append(
                        Conflict(
                            field=f"languages.calls[{same[0].label or same[0].raw}].closes",
                            values={ja_label: [str(c.closes) for c in same], en_label: str(call.closes)},
                        )
                    )
            update["calls"] = kept
            ja_emails = {c.email for r in pair.japanese for c in r.contacts if c.email}
            en_emails = {c.email for c in english.contacts if c.email}
            if ja_emails and en_emails and not ja_emails & en_emails:
                conflicts.append(
                    Conflict(
                        field="languages.contacts",
                        values={ja_label: sorted(ja_emails), en_label: sorted(en_emails)},
                    )
                )
                update["contacts"] = []  # the Japanese contacts stand
            ja_eligibility = next((r.eligibility for r in pair.japanese if r.eligibility), "")
            if english.eligibility and ja_eligibility:
                if languages.figures(english.eligibility) != languages.figures(ja_eligibility):
                    conflicts.append(
                        Conflict(
                            field="languages.eligibility",
                            values={ja_label: ja_eligibility, en_label: english.eligibility},
                        )
                    )
                update["eligibility"] = ""  # the Japanese text stands
            replaced[id(english)] = english.model_copy(update=update)
    unique = {c.field: c for c in conflicts}
    return [replaced.get(id(r), r) for r in records], list(unique.values())


def _is_reference(record: Program) -> bool:
    return record.provenance[0].kind == ProvenanceKind.REFERENCE_PDF


def _source(record: Program) -> str:
    return record.provenance[0].source


def _tagged(call: CallPeriod, record: Program) -> CallPeriod:
    return call if call.source else call.model_copy(update={"source": _source(record)})


def _merge_calls(records: list[Program]) -> list[CallPeriod]:
    """Every source's calls, each call stated once. The same dates stated twice are kept once (from the
    higher-ranked source). Two statements of one call under the same label (ingest.keys keys calls by
    label: two would be `label` and `label #2`, and the second read as a call added) are folded:

    - when their dates agree at the vaguer one's precision ("3 June" and "3 June 12:00"), into one call
      with the most precise dates and the printed text and source that gave its deadline;
    - when the reference PDF and a website disagree on its deadline (a `calls[…].closes` conflict is
      recorded, naming both values), into the website's: the pages are where deadlines move.

    The record's provenance keeps every source that stated calls. Calls of one label whose deadlines
    differ otherwise (two rounds on one page, two websites) stay apart."""
    calls: list[CallPeriod] = []
    stated_by_pdf: list[CallPeriod | None] = []  # the reference PDF's own statement of calls[i], if any
    seen: set[tuple[object, object, str]] = set()
    websites = [r for r in records if not _is_reference(r)]
    pdf_record = next((r for r in records if _is_reference(r)), None)  # the one `_conflicts` compares
    for record in records:
        for call in record.calls:
            key = (call.opens, call.closes, call.status)
            if call.closes is not None and key in seen:
                continue
            seen.add(key)
            tagged = _tagged(call, record)
            same = next((i for i, kept in enumerate(calls) if _restates(kept, tagged)), None)
            if same is not None:
                calls[same] = _fold(calls[same], tagged)
                continue
            disputed = next(
                (
                    i
                    for i, pdf in enumerate(stated_by_pdf)
                    if pdf is not None and not _is_reference(record) and _disputes(tagged, pdf, websites)
                ),
                None,
            )
            if disputed is not None:  # the website's deadline, under the label the call is keyed by
                calls[disputed] = tagged.model_copy(update={"label": calls[disputed].label})
                stated_by_pdf[disputed] = None
                continue
            calls.append(tagged)
            stated_by_pdf.append(call if record is pdf_record else None)
    return calls


_PRECISION_RANK = {Precision.MINUTE: 0, Precision.DAY: 1, Precision.MONTH: 2, Precision.YEAR: 3}


def _same_label(one: CallPeriod, other: CallPeriod) -> bool:
    """The same label as ingest.keys reads it (canonical text), letter case aside ("2025 Call for …" on
    the page, "2025 call for …" in the PDF)."""
    if not one.label or not other.label:
        return False
    return canonical_text(one.label).casefold() == canonical_text(other.label).casefold()


def _same_status(one: CallPeriod, other: CallPeriod) -> bool:
    """Equal, or dated and closed: a page's declared close is news about the same dated call."""
    return one.status == other.status or {one.status, other.status} == {CallStatus.DATED, CallStatus.CLOSED}


def _restates(kept: CallPeriod, call: CallPeriod) -> bool:
    """`call` is `kept` stated again, as precisely or less: same label, and each date equal at the
    vaguer precision or left out by one of them (closing dates: both given or both not)."""
    if not (_same_label(kept, call) and _same_status(kept, call)):
        return False
    if CallStatus.UNPARSED in (kept.status, call.status) and canonical_text(kept.raw) != canonical_text(
        call.raw
    ):
        return False  # two texts no date was read from: both stay, to be read by a person
    if kept.closes is None or call.closes is None:
        closes = kept.closes is None and call.closes is None
    else:
        closes = _same_moment(kept.closes, kept.closes_precision, call.closes, call.closes_precision)
    if kept.opens is None or call.opens is None:
        return closes
    return closes and _same_moment(kept.opens, kept.opens_precision, call.opens, call.opens_precision)


def _fold(kept: CallPeriod, call: CallPeriod) -> CallPeriod:
    """One call from two statements of it: each date at the better precision (a tie keeps `kept`'s), the
    printed text, warnings and source of the statement that gave the deadline (as precise: the one that
    says the call closed), `closed` if either says so; the label `kept`'s, so its key does not move."""
    if _more_precise(call.closes, call.closes_precision, kept.closes, kept.closes_precision):
        closer = call
    elif _more_precise(kept.closes, kept.closes_precision, call.closes, call.closes_precision):
        closer = kept
    else:  # as precise: the statement that says the call closed is the newer news, and its evidence
        closer = call if call.status == CallStatus.CLOSED != kept.status else kept
    opener = (
        call if _more_precise(call.opens, call.opens_precision, kept.opens, kept.opens_precision) else kept
    )
    closed = CallStatus.CLOSED in (kept.status, call.status)
    return kept.model_copy(
        update={
            "raw": closer.raw,
            "closes": closer.closes,
            "closes_precision": closer.closes_precision,
            "opens": opener.opens,
            "opens_precision": opener.opens_precision,
            "warnings": closer.warnings,
            "source": closer.source,
            "status": CallStatus.CLOSED if closed else kept.status,
        }
    )


def _more_precise(
    value: date | datetime | None,
    precision: Precision | None,
    than: date | datetime | None,
    other: Precision | None,
) -> bool:
    if value is None:
        return False
    if than is None:
        return True
    return _PRECISION_RANK.get(precision or Precision.YEAR, 3) < _PRECISION_RANK.get(
        other or Precision.YEAR, 3
    )


def _disputes(call: CallPeriod, pdf: CallPeriod, websites: list[Program]) -> bool:
    """`call`, a website's, is the reference PDF's call `pdf` with another deadline, and `_conflicts`
    records the disagreement (no website states the PDF's deadline), naming both values."""
    if call.closes is None or pdf.closes is None:
        return False
    if not (_same_label(call, pdf) and _same_status(call, pdf) and _near(call.closes, pdf.closes)):
        return False
    nearby = [c for site in websites for c in site.calls if _near(c.closes, pdf.closes)]
    return not any(_agree(pdf, other) for other in nearby)


def _merge_contacts(records: list[Program]) -> list[Contact]:
    """Contacts united by address; a later source fills in a phone or postal address, never overwrites."""
    merged: dict[str, Contact] = {}
    for record in records:
        for index, contact in enumerate(record.contacts):
            key = contact.email or f"{_source(record)}#{index}"
            if key not in merged:
                merged[key] = contact
                continue
            known = merged[key]
            fills = {f: getattr(contact, f) for f in ("label", "phone", "address") if not getattr(known, f)}
            merged[key] = known.model_copy(update={k: v for k, v in fills.items() if v})
    return list(merged.values())


def _conflicts(records: list[Program]) -> list[Conflict]:
    reference = [r for r in records if _is_reference(r)]
    websites = [r for r in records if not _is_reference(r)]
    if not reference or not websites:
        return []
    conflicts: list[Conflict] = []
    pdf = reference[0]
    for call in pdf.calls:
        if call.closes is None:
            continue
        nearby = {_source(site): [c for c in site.calls if _near(c.closes, call.closes)] for site in websites}
        nearby = {source: calls for source, calls in nearby.items() if calls}
        if nearby and not any(_agree(call, other) for calls in nearby.values() for other in calls):
            values: dict[str, object] = {_source(pdf): str(call.closes)}
            values |= {source: [str(c.closes) for c in calls] for source, calls in nearby.items()}
            conflicts.append(Conflict(field=f"calls[{call.label or call.raw}].closes", values=values))
    pdf_emails = {c.email for c in pdf.contacts if c.email}
    site_emails = {_source(s): sorted(c.email for c in s.contacts if c.email) for s in websites}
    site_emails = {source: emails for source, emails in site_emails.items() if emails}
    if pdf_emails and site_emails and not any(pdf_emails & set(emails) for emails in site_emails.values()):
        conflicts.append(Conflict(field="contacts", values={_source(pdf): sorted(pdf_emails), **site_emails}))
    return conflicts


def _guideline_conflicts(records: list[Program], documents: list[Document]) -> list[Conflict]:
    """A call guideline whose deadline disagrees with the call pages' (the same call: closing within
    60 days) is a conflict: the guideline is the authoritative text, the page the summary."""
    conflicts: list[Conflict] = []
    pages = [r for r in records if not _is_reference(r)]
    for document in documents:
        for call in document.calls:
            if call.closes is None:
                continue
            nearby = {_source(r): [c for c in r.calls if _near(c.closes, call.closes)] for r in pages}
            nearby = {source: calls for source, calls in nearby.items() if calls}
            if nearby and not any(_agree(call, other) for calls in nearby.values() for other in calls):
                where = document.evidence.get("calls", [])
                guideline = f"guideline {document.url}" + (
                    f" (page {', '.join(map(str, where))})" if where else ""
                )
                values: dict[str, object] = {guideline: str(call.closes)}
                values |= {source: [str(c.closes) for c in calls] for source, calls in nearby.items()}
                conflicts.append(Conflict(field=f"documents[{document.title}].closes", values=values))
    return conflicts


def _agree(stated: CallPeriod, other: CallPeriod) -> bool:
    """Two statements of a deadline agree at the precision of the vaguer one: "End of March 2025"
    (a month) agrees with 2025-03-31 noon, and June 3 (a day) with June 3 at 12:00."""
    if stated.closes is None or other.closes is None:
        return False
    return _same_moment(stated.closes, stated.closes_precision, other.closes, other.closes_precision)


def _same_moment(
    one: date | datetime,
    one_precision: Precision | None,
    other: date | datetime,
    other_precision: Precision | None,
) -> bool:
    """Two statements of a date agree at the vaguer one's precision (see `_agree`)."""
    vaguer = {one_precision, other_precision}
    mine, theirs = _as_date(one), _as_date(other)
    if Precision.MONTH in vaguer or Precision.YEAR in vaguer:
        return (mine.year, mine.month) == (theirs.year, theirs.month)
    if isinstance(one, datetime) and isinstance(other, datetime):
        return one == other
    return mine == theirs


def _near(value: date | datetime | None, other: date | datetime) -> bool:
    if value is None:
        return False
    return abs(_as_date(value) - _as_date(other)) <= _SAME_CALL_WINDOW


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
