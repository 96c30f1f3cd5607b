"""The fast tree builder builds exactly the tree `BeautifulSoup(text, "lxml")` builds (issue 12)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, PageElement, Tag
from bs4.builder._lxml import LXMLTreeBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract.decode import decode_html
from ingest.extract.tree import parse_html

HERE = Path(__file__).parent
SHARED = HERE.parent.parent / "shared"
# Links compared by identity position in the document order, not by value.
_LINKS = ("parent", "next_element", "previous_element", "next_sibling", "previous_sibling")


def _index(soup: BeautifulSoup) -> dict[int, int]:
    order: dict[int, int] = {id(soup): -1}
    element: PageElement | None = soup.next_element
    while element is not None:
        order[id(element)] = len(order)
        element = element.next_element
    return order


def _state(element: PageElement, order: dict[int, int]) -> dict[str, object]:
    """Everything an element holds, its links replaced by document positions."""
    state: dict[str, object] = {
        "class": type(element),
        "str": str(element) if not isinstance(element, Tag) else "",
    }
    state["keys"] = list(vars(element))
    for key, value in vars(element).items():
        if key in _LINKS:
            state[key] = None if value is None else order.get(id(value), "outside")
        elif key == "contents":
            state[key] = [order.get(id(child), "outside") for child in value]
        elif key == "attrs":
            state[key] = [(k, type(k), v, type(v)) for k, v in value.items()]
            state["attrs_class"] = type(value)
        elif key == "builder":  # the soup's builder: ours is bs4's lxml builder with lean paths
            state[key] = isinstance(value, LXMLTreeBuilder)
        else:
            state[key] = value
    return state


def assert_same_tree(text: str) -> None:
    expected, actual = BeautifulSoup(text, "lxml"), parse_html(text)
    want, got = _index(expected), _index(actual)
    assert len(want) == len(got)
    assert _state(actual, got) == _state(expected, want)
    mine: PageElement | None = actual.next_element
    theirs: PageElement | None = expected.next_element
    while theirs is not None:
        assert mine is not None
        assert _state(mine, got) == _state(theirs, want)
        mine, theirs = mine.next_element, theirs.next_element
    assert mine is None
    # Walking down contents reaches the same elements the next_element chain does.
    assert [_state(e, got) for e in actual.descendants] == [_state(e, want) for e in expected.descendants]
    assert str(actual) == str(expected)
    assert actual.decode() == expected.decode()
    assert actual.original_encoding == expected.original_encoding
    # The extractors copy subtrees (soup.py); a copied soup is parsed again by the same builder.
    assert copy.copy(actual).decode() == copy.copy(expected).decode()
    for mine_tag, theirs_tag in zip(actual.find_all(True), expected.find_all(True), strict=True):
        assert copy.copy(mine_tag).decode() == copy.copy(theirs_tag).decode()
    for attribute in (
        "open_tag_counter",
        "tagStack",
        "preserve_whitespace_tag_stack",
        "string_container_stack",
    ):
        assert getattr(actual, attribute) == getattr(expected, attribute)


def _fixture_pages() -> list[Path]:
    return sorted(p for p in (HERE / "fixtures").rglob("*.html") if p.is_file())


@pytest.mark.parametrize("path", _fixture_pages(), ids=lambda p: p.relative_to(HERE / "fixtures").as_posix())
def test_fixture_pages(path: Path) -> None:
    text, _codec = decode_html(path.read_bytes(), None)
    assert_same_tree(text)


def test_corpus_pages() -> None:
    pages = sorted((SHARED / "corpus").rglob("*.htm*")) if (SHARED / "corpus").is_dir() else []
    if not pages:
        pytest.skip("no ../shared/corpus")
    for path in pages:
        assert_same_tree(decode_html(path.read_bytes(), None)[0])


def test_generated_pages(tmp_path: Path) -> None:
    maker = SHARED / "bench" / "make_site.py"
    if not maker.is_file():
        pytest.skip("no ../shared/bench/make_site.py")
    subprocess.run([sys.executable, str(maker), str(tmp_path), "--n", "200", "--seed", "1"], check=True)
    pages = sorted(tmp_path.rglob("*.html"))
    assert len(pages) >= 200
    for path in pages:
        assert_same_tree(decode_html(path.read_bytes(), None)[0])


def test_the_tricky_cases() -> None:
    for text in (
        "",
        " ",
        "plain text",
        "<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>",
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd"><p>x',
        "<p class='a  b\tc' id=x rel='nofollow me' headers='h1 h2'>1<b>2</b>3<!-- c -->4</p>",
        "<pre>\n\n  </pre><textarea>  </textarea><p>  </p><div>\n \n</div>",
        "<script>if (a < b) { x = '</p>' }</script><style>p { color: red }</style><template>t</template>",
        "<rt>ruby</rt><rp>(</rp>",
        "<br><br/><img src=a.png><hr>&amp;&lt;&gt;&nbsp;&copy;&#12354;&#x3042;&unknown;",
        "<ul><li>a<li>b</ul><table><tr><td>1<td>2</table><p>one<p>two",
        '<meta charset="shift_jis"><meta http-equiv="Content-Type" content="text/html; charset=euc-jp">',
        "<?php echo 1 ?><p>after pi</p>",
        "<svg xmlns='http://www.w3.org/2000/svg'><circle r='1'/></svg><fb:like href=x></fb:like>",
        "<p xmlns:foo='urn:x' foo:bar='1' xml:lang='ja'>ns</p>",
        "</p></div>stray closers<b><i>misnested</b></i>",
        "<html><body></body></html>trailing<!--after-->",
        "<p>a\r\nb\x0cc</p>   \n  <p>\u3000</p>",
    ):
        assert_same_tree(text)


_TAGS = st.sampled_from(
    ["p", "div", "span", "b", "pre", "script", "style", "br", "li", "td", "a", "textarea"]
)
_TEXT = st.sampled_from(["", " ", "\n", " \n\t", "x", "日本語", "&amp;", "&nbsp;", "a < b", "\u3000"])
_CLASSES = st.lists(st.sampled_from(["a", "b", "c-d", ""]), max_size=3).map(" ".join)


@st.composite
def _markup(draw: st.DrawFn, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 4 if depth < 3 else 2))
        if kind == 0:
            parts.append(draw(_TEXT))
        elif kind == 1:
            parts.append(f"<!--{draw(_TEXT)}-->")
        elif kind == 2:
            parts.append(f"<{draw(_TAGS)}>")  # possibly never closed
        else:
            name = draw(_TAGS)
            attrs = f' class="{draw(_CLASSES)}"' if draw(st.booleans()) else ""
            inner = draw(_markup(depth + 1))
            parts.append(f"<{name}{attrs}>{inner}</{name}>")
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(_markup())
def test_generated_snippets(text: str) -> None:
    assert_same_tree(text)
