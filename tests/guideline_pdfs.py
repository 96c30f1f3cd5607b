"""Call guideline PDFs written for the tests (reportlab): a cover, a table of contents, a schedule
table and an eligibility chapter, in Japanese (the built-in CID font HeiseiKakuGo-W5) or English.

The text is written for these tests, in the shape the agencies' guidelines take: the cover names the
fiscal year and the deadline, the contents give printed page numbers (the cover and the contents
are not numbered, so printed page 1 is the PDF's page 3), filler chapters pad the document to any
length.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

JA_FONT = "HeiseiKakuGo-W5"


@dataclass(frozen=True)
class Guideline:
    language: str  # "ja" or "en"
    opens: str  # as printed: "令和8年4月1日（水）", "April 1, 2026"
    closes: str  # as printed: "令和8年5月20日（水）正午", "May 20, 2026, 12:00 (noon) JST"
    pages: int = 12
    contact: str = "kobo@example.go.jp"
    cover_closes: str | None = None  # a cover that says otherwise than the schedule (default: closes)
    second_round: str | None = None  # a second call period on the schedule page, as printed


def _font(language: str) -> str:
    if language == "ja":
        if JA_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(JA_FONT))
        return JA_FONT
    return "Helvetica"


_TEXT = {
    "ja": {
        "cover": [
            "令和8年度",
            "国際共同研究推進事業",
            "公募要領",
            "応募締切：{closes}",
            "国立研究開発法人 科学技術振興機構",
        ],
        "contents": "目次",
        "chapters": [("第1章 事業の概要", 1), ("第2章 公募スケジュール", 3), ("第3章 応募要件", 4)],
        "contact_chapter": "第9章 お問い合わせ先",
        "schedule": [
            ("公募期間", "{opens}～{closes}"),
            ("書類選考期間", "令和8年6月～7月（予定）"),
            ("面接選考", "令和8年8月上旬（予定）"),
            ("採択通知", "令和8年9月下旬（予定）"),
        ],
        "eligibility": [
            "応募者は、日本国内の研究機関に所属し、研究期間中その機関で研究を実施できる研究者とします。",
            "国籍は問いません。",
        ],
        "overview": "本事業は、海外の研究者との国際共同研究を支援するものです。",
        "filler": "第{n}章 留意事項",
        "filler_text": "本章では応募にあたっての留意事項を記載します。詳細は各項目を参照してください。",
        "contact": ["国際部 公募担当", "E-mail: {contact}", "電話：03-0000-0000（平日10:00～17:00）"],
    },
    "en": {
        "cover": [
            "FY2026",
            "International Joint Research Program",
            "Call Guidelines",
            "Application deadline: {closes}",
            "Japan Science and Technology Agency",
        ],
        "contents": "Table of Contents",
        "chapters": [("1. Overview", 1), ("2. Call Schedule", 3), ("3. Eligibility", 4)],
        "contact_chapter": "9. Contact",
        "schedule": [
            ("Call period", "{opens} - {closes}"),
            ("Document review", "June to July 2026 (planned)"),
            ("Interviews", "Early August 2026 (planned)"),
            ("Notification", "Late September 2026 (planned)"),
        ],
        "eligibility": [
            "The applicant must be affiliated with a research institution in Japan for the whole project.",
            "There is no nationality requirement.",
        ],
        "overview": "This program supports joint research with researchers overseas.",
        "filler": "{n}. Notes for applicants",
        "filler_text": "This chapter gives notes for applicants. See each section for details.",
        "contact": ["Department of International Affairs", "E-mail: {contact}", "Tel: +81-3-0000-0000"],
    },
}


def guideline_pdf(spec: Guideline) -> bytes:
    """The guideline as PDF bytes: cover, contents, then numbered pages up to `spec.pages` in all."""
    text = _TEXT[spec.language]
    font = _font(spec.language)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)  # the same text gives the same bytes
    width, height = A4
    values = {"opens": spec.opens, "closes": spec.closes, "contact": spec.contact}
    last_printed = spec.pages - 2
    contact_printed = last_printed

    def page(lines: list[tuple[str, int]], number: int | None) -> None:
        y = height - 90
        for line, size in lines:
            pdf.setFont(font, size)
            pdf.drawString(60, y, line)
            y -= size * 2
        if number is not None:
            pdf.setFont(font, 9)
            pdf.drawCentredString(width / 2, 30, f"- {number} -")
        pdf.showPage()

    cover = values | {"closes": spec.cover_closes or spec.closes}
    page([(line.format(**cover), 22 if i == 2 else 14) for i, line in enumerate(text["cover"])], None)
    toc = [(text["contents"], 16)]
    toc += [(f"{title} ........ {printed}", 11) for title, printed in text["chapters"]]
    toc += [(f"{text['contact_chapter']} ........ {contact_printed}", 11)]
    page(toc, None)
    for printed in range(1, last_printed + 1):
        if printed == 1:
            body = [(text["chapters"][0][0], 16), (text["overview"], 10)]
        elif printed == 3:
            body = [(text["chapters"][1][0], 16)]
            body += [(f"{label}    {value.format(**values)}", 10) for label, value in text["schedule"]]
            if spec.second_round:
                body.append((spec.second_round, 10))
        elif printed == 4:
            body = [(text["chapters"][2][0], 16)] + [(line, 10) for line in text["eligibility"]]
        elif printed == contact_printed:
            body = [(text["contact_chapter"], 16)] + [(line.format(**values), 10) for line in text["contact"]]
        else:
            body = [(text["filler"].format(n=printed + 3), 16)] + [(text["filler_text"], 10)] * 20
        page(body, printed)
    pdf.save()
    return out.getvalue()
