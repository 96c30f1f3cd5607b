"""ingest.extract.contacts: addresses as the agencies print them (plain, obfuscated, as images), with labels,
phone numbers and postal addresses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.extract.contacts import find_contacts
from ingest.models import Contact


def emails(text: str, image_alts: dict[str, str] | None = None) -> list[str | None]:
    return [contact.email for contact in find_contacts(text, image_alts=image_alts)]


# text as printed → the addresses found, in order
ADDRESS_CASES = {
    "plain": ("Contact: rp-info@jst.go.jp", ["rp-info@jst.go.jp"]),
    "straight quotes": ('E-mail: e-asia"AT"amed.go.jp', ["e-asia@amed.go.jp"]),
    "curly quotes": ("E-mail: interstellar“AT”amed.go.jp", ["interstellar@amed.go.jp"]),
    "closing quotes, lower case": ("igaku-support”at”amed.go.jp", ["igaku-support@amed.go.jp"]),
    "square brackets": ("sample[at]jst.go.jp", ["sample@jst.go.jp"]),
    "full-width brackets": ("sample［at］jst.go.jp", ["sample@jst.go.jp"]),
    "parentheses": ("sample(at)jst.go.jp", ["sample@jst.go.jp"]),
    "spaced AT": ("write to sicorp AT jst.go.jp today", ["sicorp@jst.go.jp"]),
    "katakana": ("sampleアットマークjst.go.jp", ["sample@jst.go.jp"]),
    "full-width at sign": ("sample＠jst.go.jp", ["sample@jst.go.jp"]),
    "full-width at sign in the instruction": (
        'a"AT"amed.go.jp ※"AT"を＠に置き換えてください',
        ["a@amed.go.jp"],
    ),
    "Japanese instruction kept out": (
        'E-mail: igaku-support"AT"amed.go.jp\n備考: ※"AT"の部分を@に変えてください。',
        ["igaku-support@amed.go.jp"],
    ),
    "English instruction kept out": (
        "E-mail: nichibei“AT”amed.go.jp (Replace “AT” with “@”)",
        ["nichibei@amed.go.jp"],
    ),
    "glued MAIL label": ("MAILinvitation@jsps.go.jp", ["invitation@jsps.go.jp"]),
    "two on one line, Japanese text glued": (
        "窓口：a-desk@amed.go.jp、b-desk”AT”amed.go.jpまで",
        ["a-desk@amed.go.jp", "b-desk@amed.go.jp"],
    ),
    "sentence full stop": ("Write to info@hfsp.org.", ["info@hfsp.org"]),
    "lower-case English 'at' is a word": ("meet us at jst.go.jp offices", []),
    "domain missing and no image": ("E-mail: nichibei“AT” (Replace “AT” with “@”)", []),
    "duplicates collapse": ("rp-info@jst.go.jp\nagain: rp-info@jst.go.jp", ["rp-info@jst.go.jp"]),
}


@pytest.mark.parametrize(("text", "expected"), ADDRESS_CASES.values(), ids=ADDRESS_CASES.keys())
def test_addresses(text: str, expected: list[str]) -> None:
    assert emails(text) == expected


def test_rebuilt_only_for_obfuscated_addresses() -> None:
    found = find_contacts('a"AT"amed.go.jp\nb@amed.go.jp')
    assert [(c.email, c.rebuilt) for c in found] == [("a@amed.go.jp", True), ("b@amed.go.jp", False)]


def test_an_address_also_printed_plainly_is_not_rebuilt() -> None:
    assert find_contacts('a"AT"amed.go.jp\nMail a@amed.go.jp') == [
        Contact(email="a@amed.go.jp", rebuilt=False)
    ]


def test_image_placeholder_is_replaced_by_its_alt_text() -> None:
    found = find_contacts(
        "E-mail: interstellar“AT”{img1} (Replace “AT” with “@”)", image_alts={"{img1}": "amed.go.jp"}
    )
    assert found == [Contact(email="interstellar@amed.go.jp", rebuilt=True)]


def test_domain_image_that_left_no_placeholder() -> None:
    """The extractor dropped the image but kept its alt text: the dangling 'nichibei“AT”' takes it."""
    found = find_contacts(
        "E-mail: nichibei“AT” (Replace “AT” with “@”)", image_alts={"mail.gif": "amed.go.jp"}
    )
    assert found == [Contact(email="nichibei@amed.go.jp", rebuilt=True)]


def test_footnoted_spaced_at_with_image_domain() -> None:
    found = find_contacts('"interstellar AT* (*Replace AT with @.)', image_alts={"img": "amed.go.jp"})
    assert found == [Contact(email="interstellar@amed.go.jp", rebuilt=True)]


def test_amed_english_contact_block() -> None:
    text = """Department of International Affairs, International Collaboration Division
Address: 23F Yomiuri Shimbun Bldg, 1-7-1, Otemachi, Chiyoda-ku, Tokyo, 100-0004 Japan
TEL: +81-3-6870-2215
E-mail: nichibei“AT”amed.go.jp (Replace “AT” with “@”)
Inquiries by email are strongly encouraged."""
    assert find_contacts(text) == [
        Contact(
            email="nichibei@amed.go.jp",
            label="Department of International Affairs, International Collaboration Division",
            phone="+81-3-6870-2215",
            address="23F Yomiuri Shimbun Bldg, 1-7-1, Otemachi, Chiyoda-ku, Tokyo, 100-0004 Japan",
            rebuilt=True,
        )
    ]


def test_amed_japanese_contact_cell_details_after_the_address() -> None:
    text = """国立研究開発法人日本医療研究開発機構（AMED）
国際戦略推進部 国際連携研究課
E-mail: e-asia"AT"amed.go.jp
備考: ※"AT"の部分を@に変えてください。
住所: 〒100-0004 東京都千代田区大手町1-7-1 読売新聞ビル21階
TEL: 03-6870-2225(課代表)"""
    assert find_contacts(text) == [
        Contact(
            email="e-asia@amed.go.jp",
            label="国際戦略推進部 国際連携研究課",
            phone="03-6870-2225",
            address="〒100-0004 東京都千代田区大手町1-7-1 読売新聞ビル21階",
            rebuilt=True,
        )
    ]


def test_jsps_sidebar_with_glued_labels() -> None:
    text = """CONTACT
Overseas Fellowship Division, International Program Department
5-3-1 Kojimachi, Chiyoda-ku, Tokyo 102-0083, JAPAN
TEL+81-3-3263-2480, 9094
FAX+81-3-3263-1854
MAILinvitation@jsps.go.jp"""
    assert find_contacts(text) == [
        Contact(
            email="invitation@jsps.go.jp",
            label="Overseas Fellowship Division, International Program Department",
            phone="+81-3-3263-2480, 9094",  # the extension list belongs to the number; FAX is not a phone
            address="5-3-1 Kojimachi, Chiyoda-ku, Tokyo 102-0083, JAPAN",
        )
    ]


def test_labels_in_parentheses_after_each_address() -> None:
    text = "aspire@jst.go.jp (ASPIRE for Top Scientists)\naspirers@jst.go.jp (ASPIRE for Rising Scientists)"
    assert [(c.email, c.label) for c in find_contacts(text)] == [
        ("aspire@jst.go.jp", "ASPIRE for Top Scientists"),
        ("aspirers@jst.go.jp", "ASPIRE for Rising Scientists"),
    ]


def test_department_field_label_and_details_go_to_the_nearest_address() -> None:
    text = """Department: Grants Office
TEL: 03-1111-2222
grants@example.org

Department: Fellowship Office
fellows@example.org
TEL: 03-3333-4444"""
    found = find_contacts(text)
    assert [(c.email, c.label, c.phone) for c in found] == [
        ("grants@example.org", "Grants Office", "03-1111-2222"),
        ("fellows@example.org", "Fellowship Office", "03-3333-4444"),
    ]


def test_a_sentence_is_not_a_label() -> None:
    text = "Please contact the Department of Research Promotion. It answers within a week.\nrp@example.org"
    assert find_contacts(text)[0].label is None


def test_phone_and_address_without_email_make_one_contact() -> None:
    text = (
        "お問い合わせ先\n科学技術振興機構 戦略研究推進部\n電話：03-3512-3531\n"
        "〒102-0076 東京都千代田区五番町7"
    )
    assert find_contacts(text) == [
        Contact(
            label="科学技術振興機構 戦略研究推進部",
            phone="03-3512-3531",
            address="〒102-0076 東京都千代田区五番町7",
        )
    ]


def test_nothing_to_find() -> None:
    assert find_contacts("The deadline is June 3, 2025 (12:59). Call 2025-04-10.") == []


# -- every obfuscation style gives back the address it hides -----------------------------------------

_LABEL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_word = st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=8)
local_parts = st.builds(
    lambda first, rest: first + "".join(sep + word for sep, word in rest),
    _word,
    st.lists(st.tuples(st.sampled_from("._-+"), _word), max_size=3),
)
domain_labels = st.builds(
    lambda first, rest: first + "".join("-" + word for word in rest),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8),
    st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=5), max_size=2),
)
domains = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(domain_labels, min_size=1, max_size=3),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6),
)
STYLES = {
    "plain": "{local}@{domain}",
    "straight quotes": '{local}"AT"{domain}',
    "curly quotes": "{local}“AT”{domain}",
    "closing quotes lower case": "{local}”at”{domain}",
    "square brackets": "{local}[at]{domain}",
    "parentheses": "{local}(at){domain}",
    "spaced AT": "{local} AT {domain}",
    "katakana": "{local}アットマーク{domain}",
    "full-width at": "{local}＠{domain}",
    "with instruction": '{local}"AT"{domain}\n※"AT"の部分を@に変えてください。',
    "in a sentence": "E-mail: {local}“AT”{domain} (Replace “AT” with “@”). Thank you.",
}


@pytest.mark.parametrize("style", STYLES.values(), ids=STYLES.keys())
@given(local=local_parts, domain=domains)
def test_every_style_round_trips(style: str, local: str, domain: str) -> None:
    found = find_contacts(style.format(local=local, domain=domain))
    assert [contact.email for contact in found] == [f"{local}@{domain}".lower()]
    assert found[0].rebuilt == (style != STYLES["plain"])


@given(local=local_parts, domain=domains)
def test_domain_as_image_round_trips(local: str, domain: str) -> None:
    found = find_contacts(f"E-mail: {local}“AT”<img> (Replace “AT” with “@”)", image_alts={"<img>": domain})
    assert [contact.email for contact in found] == [f"{local}@{domain}".lower()]
