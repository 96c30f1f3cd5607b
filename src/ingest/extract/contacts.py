"""Contacts in page text: e-mail addresses (plain or obfuscated), who they are for, phones, postal addresses.

Japanese agencies hide addresses from harvesters: `e-asia"AT"amed.go.jp`, `nichibei“AT”` followed by an
image of the domain (with the instruction "(Replace "AT" with @)" in between, even across lines),
`sample[at]jst.go.jp`, `sampleアットマークjst.go.jp`, a full-width `＠`, and any stand-in the page says
to replace (`name*jsps.go.jp (Please replace * with @)`). Such addresses
are rebuilt and marked `rebuilt=True`. Text is read line by line: a contact's label is the parenthesised
text after its address or the nearest department line above it, and each phone number and postal address
goes to the nearest e-mail address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.models import Contact
from ingest.normalize import clean_text

_QUOTES = "\"'“”‘’″"
_LOCAL = r"[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_%+-])?"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
# The ways an "@" is written out. Lower-case " at " is left alone: it is an English word.
_AT_MARKER = (
    rf"\s*[{_QUOTES}]\s*(?:AT|at|At)\s*[{_QUOTES}]\s*"  # "AT", “AT”, ”at”
    r"|\s*[\[(<{]\s*(?:AT|at|At)\s*[\])>}]\s*"  # [at], (at)
    r"|\s+AT\*?(?:\s+|$)"  # spaced AT, and "AT*" with a footnote
    r"|\s*アットマーク\s*"
    r"|\s*\ue000\s*"  # a full-width ＠, set aside before NFKC would fold it into "@"
)
# The domain may follow the marker after a comma left by an instruction: 'moonshot"AT" , amed.go.jp'.
_OBFUSCATED = re.compile(
    rf"(?<![A-Za-z0-9._%+-])(?P<local>{_LOCAL})(?:{_AT_MARKER})(?:[,;]\s*)?(?P<domain>{_DOMAIN})?"
)
# What an obfuscated address cannot do without (a part of each marker above), searched once in the whole
# text: most pages obfuscate nothing, and the address pattern itself is tried at every word of every line.
_MAY_OBFUSCATE = re.compile(rf"[{_QUOTES}\[(<{{]\s*(?:AT|at|At)|\sAT|アットマーク|\ue000")
_PLAIN = re.compile(rf"(?<![A-Za-z0-9._%+-])(?P<local>{_LOCAL})@(?P<domain>{_DOMAIN})")
# The instructions printed next to an obfuscated address; removed first so that their "AT" and "@" are
# never read as an address ("(Replace “AT” with “@”)", "※"AT"の部分を@に変えてください。").
_INSTRUCTION = re.compile(
    rf"\(?\s*\*?\s*replace\s+[{_QUOTES}]?\s*AT\*?\s*[{_QUOTES}]?\s+(?:with|by)\s+[{_QUOTES}]?\s*[@\ue000]\s*[{_QUOTES}]?\s*\.?\s*\)?"
    rf"|※?\s*[{_QUOTES}]?\s*AT\s*[{_QUOTES}]?\s*(?:の部分)?を\s*[{_QUOTES}]?\s*[@\ue000]\s*[{_QUOTES}]?\s*に[^。\n]*。?",
    re.IGNORECASE,
)
# The same instruction for another stand-in: "(Please replace * with @)", "※「*」を「@」に置き換えて…"
_SYMBOLS = "*★☆●◆■#"
_MARKER_INSTRUCTION = re.compile(
    rf"\(?\s*(?:please\s+)?replace\s+(?:the\s+)?[{_QUOTES}「]?\s*(?P<en>[{_SYMBOLS}])\s*[{_QUOTES}」]?\s*"
    rf"(?:mark\s+)?(?:with|by)\s+[{_QUOTES}「]?\s*[@\ue000]\s*[{_QUOTES}」]?\s*\.?\s*\)?"
    rf"|※?\s*[{_QUOTES}「]?\s*(?P<ja>[{_SYMBOLS}])\s*[{_QUOTES}」]?\s*(?:の部分|印|マーク)?を\s*[{_QUOTES}「]?\s*[@\ue000]\s*"
    rf"[{_QUOTES}」]?\s*に[^。\n)）]*。?[)）]?",
    re.IGNORECASE,
)
# Both instructions say "replace" or "を": without either, neither pattern is tried.
_MAY_INSTRUCT = re.compile("replace|を", re.IGNORECASE)
_FULL_WIDTH_AT = "\ue000"
# A mail label glued to its value by the page layout: "MAILinvitation@jsps.go.jp".
_GLUED_MAIL_LABEL = re.compile(r"^(?:E-?MAIL|MAIL)(?=[a-z0-9])")
# An obfuscated address split by the layout: the local part and its marker end one line, the domain
# (often an image's alt text) starts the next: 'name"AT"' / '(Replace "AT" with @)' / 'amed.go.jp'.
_TRAILING_LABEL = re.compile(r"^\s*[(（]\s*([^()（）]{2,80}?)\s*[)）]")

_PHONE = re.compile(
    r"(?:\bTEL|\bTel|\bPhone|\bphone|\bTelephone|電話(?:番号)?)\s*[.:：]?\s*"
    r"(?P<number>\+?\d[\d\- ()]{5,}\d(?:\s*[,、]\s*\d{3,5}\b)*)"
)
_PHONE_WORDS = ("TEL", "Tel", "Phone", "phone", "電話")  # a part of each of _PHONE's labels
_ADDRESS_LABEL = re.compile(r"^(?:Address|住所|所在地)\s*[:：]\s*(?P<value>.+)$", re.IGNORECASE)
_POSTAL_MARK = re.compile(r"〒\s*\d{3}-?\d{4}.*$")
_ENGLISH_POSTAL = re.compile(r"\b\d{3}-\d{4}\b.*(?:Japan|JAPAN|Tokyo)|(?:Tokyo|-ku\b).*\b\d{3}-\d{4}\b")
_DETAIL_TAIL = re.compile(r"\s+(?:TEL|Tel|FAX|Fax|E-?mail|電話|ＴＥＬ)\b.*$")

_LABEL_FIELD = re.compile(
    r"^(?:Department|Division|Section|Office|Contact\s+person|担当(?:部署|課|者)?|部署)\s*[:：]\s*(?P<value>.+)$",
    re.IGNORECASE,
)
_ENGLISH_UNIT = re.compile(
    r"\b(?:Department|Division|Office|Section|Unit|Desk|Secretariat|Center|Centre|Group)\b", re.IGNORECASE
)
_JAPANESE_UNIT = re.compile(r"(?:部|課|室|係|センター|グループ|担当|事務局)(?:\s|$)")
_NOT_A_LABEL = re.compile(
    r"^(?:contacts?|inquiries|お問い?合わ?せ先?|連絡先)\s*[:：]?$"
    r"|inquir|strongly encouraged|お願いします|備考|^※|^\*",
    re.IGNORECASE,
)
# How far above an address a department line may stand.
_LABEL_LOOKBACK = 6


@dataclass
class _Found:
    """One address occurrence: where it is, and what the text says about it."""

    email: str
    line: int
    rebuilt: bool
    label: str | None = None


@dataclass
class _Detail:
    line: int
    value: str


@dataclass
class _Scan:
    addresses: list[_Found] = field(default_factory=list)
    phones: list[_Detail] = field(default_factory=list)
    postal: list[_Detail] = field(default_factory=list)


def find_contacts(text: str, *, image_alts: dict[str, str] | None = None) -> list[Contact]:
    """Every contact in `text`, in order of first appearance, one per e-mail address.

    `image_alts` maps a placeholder that stands in `text` where an image was (as an HTML extractor
    left it) to the image's alt text; the alt text is put back before reading. An obfuscated address
    whose domain is missing from the text ("nichibei“AT”" followed by an image) takes its domain from a
    domain-like alt text that was not used as a placeholder. With no e-mail address at all, a phone
    number or postal address still makes one contact.
    """
    lines, patterns = _prepare(text, image_alts or {})
    spare_domains = _spare_domains(text, image_alts or {})
    scan = _Scan()
    for index, line in enumerate(lines):
        scan.addresses.extend(_addresses(line, index, spare_domains, patterns))
        if number := _phone(line):
            scan.phones.append(_Detail(index, number))
        if address := _postal_address(line):
            scan.postal.append(_Detail(index, address))
    if not scan.addresses:
        return _contact_without_email(scan, lines)
    return _assemble(scan, lines)


def _prepare(text: str, image_alts: dict[str, str]) -> tuple[list[str], list[re.Pattern[str]]]:
    """The text's lines with the replace-with-@ instructions taken out, and the obfuscated-address
    patterns to read them with: `_OBFUSCATED` (unless no marker is printed) and those the instructions
    announce ('*' for '@' when the page says "replace * with @")."""
    for placeholder, alt in image_alts.items():
        text = text.replace(placeholder, alt)
    text = clean_text(text.replace("＠", _FULL_WIDTH_AT))
    symbols: set[str] = set()
    if _MAY_INSTRUCT.search(text):
        symbols = {match["en"] or match["ja"] for match in _MARKER_INSTRUCTION.finditer(text)}
        text = _MARKER_INSTRUCTION.sub(" ", _INSTRUCTION.sub(" ", text))
    markers = [
        re.compile(
            rf"(?<![A-Za-z0-9._%+-])(?P<local>{_LOCAL})[ \t]*{re.escape(symbol)}[ \t]*(?P<domain>{_DOMAIN})?"
        )
        for symbol in sorted(symbols)
    ]
    patterns = [_OBFUSCATED, *markers] if _MAY_OBFUSCATE.search(text) else markers
    return _join_split_addresses([line.strip() for line in text.split("\n")], patterns), patterns


def _join_split_addresses(lines: list[str], patterns: list[re.Pattern[str]]) -> list[str]:
    """Join a line ending in a local part and its marker to the domain that starts the next line."""
    if not patterns:
        return lines  # no marker anywhere: no address is split
    domain_first = re.compile(rf"^(?:{_DOMAIN})")
    joined = list(lines)
    for index, line in enumerate(joined):
        following = next((i for i in range(index + 1, min(index + 3, len(joined))) if joined[i]), None)
        if following is None or not domain_first.match(joined[following]):
            continue
        tail = [m for pattern in patterns for m in pattern.finditer(line)]
        if tail and tail[-1].end() == len(line) and tail[-1]["domain"] is None:
            joined[index] = f"{line} {joined[following]}"
            joined[following] = ""
    return joined


def _spare_domains(text: str, image_alts: dict[str, str]) -> list[str]:
    domain = re.compile(_DOMAIN)
    return [
        alt.strip() for key, alt in image_alts.items() if key not in text and domain.fullmatch(alt.strip())
    ]


def _addresses(
    line: str, index: int, spare_domains: list[str], patterns: Sequence[re.Pattern[str]] = (_OBFUSCATED,)
) -> list[_Found]:
    """The addresses on one line: obfuscated ones (`patterns`: `_OBFUSCATED` and the page's own
    stand-ins), then plain ones."""
    found: list[tuple[int, int, _Found]] = []
    for pattern in patterns:
        for match in pattern.finditer(line):
            if any(start <= match.start() < end for start, end, _ in found):
                continue
            domain = match["domain"] or (spare_domains[0] if len(spare_domains) == 1 else None)
            if domain is None:
                continue  # "name AT" with no domain anywhere: nothing to rebuild it from
            local = _GLUED_MAIL_LABEL.sub("", match["local"])
            found.append((match.start(), match.end(), _Found(f"{local}@{domain}", index, rebuilt=True)))
    for match in _PLAIN.finditer(line) if "@" in line else ():
        if any(start <= match.start() < end for start, end, _ in found):
            continue
        local = _GLUED_MAIL_LABEL.sub("", match["local"])
        found.append((match.start(), match.end(), _Found(f"{local}@{match['domain']}", index, rebuilt=False)))
    found.sort(key=lambda item: item[0])
    for _, end, item in found:
        if label := _TRAILING_LABEL.match(line[end:]):
            item.label = label.group(1)
    return [item for _, _, item in found]


def _phone(line: str) -> str | None:
    if not any(word in line for word in _PHONE_WORDS):
        return None  # most lines: the pattern needs one of its labels
    match = _PHONE.search(line)
    return match["number"].strip() if match else None


def _postal_address(line: str) -> str | None:
    if match := _ADDRESS_LABEL.match(line):
        return _DETAIL_TAIL.sub("", match["value"]).strip() or None
    if "〒" in line and (match := _POSTAL_MARK.search(line)):
        return _DETAIL_TAIL.sub("", match.group(0)).strip()
    # A postal code is written with a hyphen (123-4567): most lines need no search.
    if "-" in line and _ENGLISH_POSTAL.search(line) and not _PHONE.search(line) and "@" not in line:
        return line
    return None


def _assemble(scan: _Scan, lines: list[str]) -> list[Contact]:
    """One contact per address; details go to the nearest address (the earlier one on a tie)."""
    contacts: dict[str, Contact] = {}
    first_line: dict[str, int] = {}
    for item in scan.addresses:
        label = item.label or _label_above(lines, item.line)
        contact = contacts.get(item.email.lower())
        if contact is None:
            contacts[item.email.lower()] = Contact(email=item.email, label=label, rebuilt=item.rebuilt)
            first_line[item.email.lower()] = item.line
            continue
        contact.rebuilt = contact.rebuilt and item.rebuilt
        if contact.label is None and label:
            contact.label = label
    owners = [(first_line[key], contacts[key]) for key in contacts] + [
        (item.line, contacts[item.email.lower()]) for item in scan.addresses
    ]
    for detail in scan.phones:
        owner = _nearest(owners, detail.line)
        if owner.phone is None:
            owner.phone = detail.value
    for detail in scan.postal:
        owner = _nearest(owners, detail.line)
        if owner.address is None:
            owner.address = detail.value
    return list(contacts.values())


def _nearest(owners: list[tuple[int, Contact]], line: int) -> Contact:
    return min(owners, key=lambda owner: (abs(owner[0] - line), owner[0] > line))[1]


def _label_above(lines: list[str], index: int) -> str | None:
    """The nearest department-style line above an address, skipping its phone and address lines."""
    for line in reversed(lines[max(0, index - _LABEL_LOOKBACK) : index]):
        if not line:
            continue
        if "@" in line or _OBFUSCATED.search(line):
            return None  # the previous contact's lines begin here
        if _phone(line) or _postal_address(line) or re.match(r"^(?:FAX|Fax)\b", line):
            continue
        if match := _LABEL_FIELD.match(line):
            return match["value"].strip()
        if _looks_like_unit(line):
            return line
    return None


def _looks_like_unit(line: str) -> bool:
    if len(line) > 140 or _NOT_A_LABEL.search(line) or re.search(r"[.。]\s+\S", line):
        return False
    return bool(_ENGLISH_UNIT.search(line) or _JAPANESE_UNIT.search(line))


def _contact_without_email(scan: _Scan, lines: list[str]) -> list[Contact]:
    phone = scan.phones[0].value if scan.phones else None
    address = scan.postal[0].value if scan.postal else None
    if phone is None and address is None:
        return []
    anchor = min(detail.line for detail in (*scan.phones[:1], *scan.postal[:1]))
    return [Contact(label=_label_above(lines, anchor + 1), phone=phone, address=address)]
