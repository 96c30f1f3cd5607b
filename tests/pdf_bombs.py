"""Hostile PDFs, written byte by byte: each is a valid file that costs a reader far more than its size."""

from __future__ import annotations

import zlib
from pathlib import Path


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of the given objects (1-based; object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"


def _one_page(content: bytes) -> bytes:
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            _stream(content),
            font,
        ]
    )


def inflate_bomb(path: Path, megabytes: int = 400) -> Path:
    """One page whose content stream inflates to `megabytes` of spaces (a 1000:1 zip bomb)."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    data = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    path.write_bytes(_one_page(data))
    return path


def content_stream_bomb(path: Path, operations: int = 3_000_000) -> Path:
    """One page with millions of tiny text-showing operations: small on disk, hours to interpret."""
    data = zlib.compress(b"BT /F1 1 Tf 1 0 0 1 9 9 Tm (x) Tj ET\n" * operations, 9)
    path.write_bytes(_one_page(data))
    return path


def page_count_bomb(path: Path, pages: int = 200_000) -> Path:
    """A page tree of `pages` empty pages."""
    first_page = 3
    kids = b" ".join(b"%d 0 R" % (first_page + index) for index in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages
    path.write_bytes(_pdf(objects))
    return path
