"""Links in the HTML pages: only http(s) and mailto addresses become links, so a scraped
`javascript:` URL stays text; long URLs are shortened for display."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from ingest.models import Contact

_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


@dataclass(frozen=True)
class Link:
    label: str
    href: str | None  # None: show the label as text (no safe address to link to)


def safe_href(url: str | None) -> str | None:
    """The URL when it is safe to link (http, https, mailto), else None: scraped text is never a script."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in _SAFE_SCHEMES else None


def safe_link(url: str | None, label: str | None = None, *, width: int = 60) -> Link | None:
    href = safe_href(url)
    return Link(label or short_url(href, width), href) if href else None


def contact_link(contact: Contact) -> Link:
    """The e-mail address linking to mailto:, or whatever else the contact gives (phone, address) as text."""
    if contact.email:
        return Link(contact.email, safe_href(f"mailto:{quote(contact.email, safe='@.+-_')}"))
    return Link(" ".join(part for part in (contact.phone, contact.address) if part), None)


def short_url(url: str, width: int = 60) -> str:
    """Host and the end of the path, without scheme or index page: 'www.jst.go.jp/…/crest/en/'."""
    parts = urlsplit(url)
    if parts.scheme == "mailto":
        return parts.path
    path = re.sub(r"/index\.html?$", "/", parts.path)
    if len(parts.netloc + path) <= width:
        return parts.netloc + path
    segments = [segment for segment in path.split("/") if segment]
    slash = "/" if path.endswith("/") else ""
    for count in range(len(segments) - 1, 0, -1):
        text = f"{parts.netloc}/…/{'/'.join(segments[-count:])}{slash}"
        if len(text) <= width:
            return text
    return (parts.netloc + path)[: width - 1] + "…"
