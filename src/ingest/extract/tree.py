"""Build the BeautifulSoup tree of an HTML page faster, the same tree `BeautifulSoup(text, "lxml")` builds.

bs4's lxml builder spends most of its time in Python layers between lxml's parser events and the tree:
namespace bookkeeping (HTML has none), `handle_starttag`, `Tag.__init__`'s generic branches,
`object_was_parsed` and `_linkage_fixer` (a no-op when the parse only ever appends). `FastHtmlBuilder`
takes the same lxml events and does what those layers end up doing for an HTML page, in one place; any
event it has no lean path for goes to bs4's own code. tests/test_tree.py proves the trees identical.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.builder._lxml import LXMLTreeBuilder

_ASCII_SPACES = BeautifulSoup.ASCII_SPACES
_MAIN_CONTENT_STRING_TYPES = Tag.MAIN_CONTENT_STRING_TYPES


def parse_html(text: str) -> BeautifulSoup:
    """The tree `BeautifulSoup(text, "lxml")` would build, built faster."""
    return BeautifulSoup(text, builder=FastHtmlBuilder())


class FastHtmlBuilder(LXMLTreeBuilder):
    """bs4's lxml HTML builder with lean start/end/data paths (one builder per document)."""

    def start(self, name: str, attrib: dict[Any, Any], nsmap: dict[str, str] | None = None) -> None:  # type: ignore[override]
        soup = self.soup
        if nsmap or name[:1] == "{" or len(self.nsmaps) > 1 or soup is None or soup.parse_only:
            super().start(name, attrib, nsmap or {})  # namespaced markup: bs4's general path
            return
        # lxml gives str values, which the attribute dict's __setitem__ stores unchanged.
        attrs = self.attribute_dict_class(attrib)
        if attrs and any(key[:1] == "{" for key in attrs):
            super().start(name, attrib, {})
            return
        if soup.current_data:
            _flush(soup)
        parent = soup.currentTag
        # What Tag.__init__ sets for a builder-made tag, and what handle_starttag/pushTag do after it.
        tag = Tag.__new__(Tag)
        tag.parser_class = type(soup)
        tag.name = name
        tag.namespace = None
        tag._namespaces = self.active_namespace_prefixes[-1]
        tag.prefix = None
        tag.sourceline = None
        tag.sourcepos = None
        tag.attribute_value_list_class = self.attribute_value_list_class
        tag.attrs = self._replace_cdata_list_attribute_values(name, attrs) if attrs else attrs
        tag.known_xml = False
        tag.contents = []
        _append(soup, tag, parent)
        tag.hidden = False
        if name == "meta":
            self.set_up_substitutions(tag)
        tag.can_be_empty_element = self.empty_element_tags is None or name in self.empty_element_tags
        tag.cdata_list_attributes = self.cdata_list_attributes
        tag.preserve_whitespace_tags = self.preserve_whitespace_tags
        container = self.string_containers.get(name)
        tag.interesting_string_types = {container} if container else _MAIN_CONTENT_STRING_TYPES
        soup.tagStack.append(tag)
        soup.currentTag = tag
        soup.open_tag_counter[name] += 1
        if name in self.preserve_whitespace_tags:
            soup.preserve_whitespace_tag_stack.append(tag)
        if container is not None:
            soup.string_container_stack.append(tag)

    def end(self, name: str) -> None:  # type: ignore[override]
        soup = self.soup
        if soup is None or len(self.nsmaps) > 1 or soup.currentTag is None or soup.currentTag.name != name:
            super().end(name)
            return
        if soup.current_data:
            _flush(soup)
        if len(soup.tagStack) < 2:  # the document itself is never popped
            return
        # lxml closes what it opened, in order: the tag to pop is the current one (what popTag does).
        tag = soup.tagStack.pop()
        soup.open_tag_counter[name] -= 1
        if soup.preserve_whitespace_tag_stack and tag == soup.preserve_whitespace_tag_stack[-1]:
            soup.preserve_whitespace_tag_stack.pop()
        if soup.string_container_stack and tag == soup.string_container_stack[-1]:
            soup.string_container_stack.pop()
        soup.currentTag = soup.tagStack[-1]

    def data(self, content: str) -> None:  # type: ignore[override]
        self.soup.current_data.append(content)  # type: ignore[union-attr]


def _flush(soup: Any) -> None:
    """endData() without a container class: the pending text becomes one string of the current tag."""
    pieces = soup.current_data
    text = pieces[0] if len(pieces) == 1 else "".join(pieces)
    soup.current_data = []
    if not soup.preserve_whitespace_tag_stack and not text.strip(_ASCII_SPACES):
        text = "\n" if "\n" in text else " "  # bs4 collapses whitespace-only strings
    cls = NavigableString
    if soup.string_container_stack:
        cls = soup.builder.string_containers.get(soup.string_container_stack[-1].name, NavigableString)
    # What NavigableString.__new__ and object_was_parsed do; _linkage_fixer has nothing to fix when the
    # parse only appends (no ancestor of the current tag has a next sibling yet).
    string = str.__new__(cls, text)
    string.hidden = False
    _append(soup, string, soup.currentTag)


def _append(soup: Any, node: Any, parent: Tag | None) -> None:
    """Link a new tag or string in as the last child of `parent` and the last element of the document,
    as bs4's object_was_parsed and pushTag do (the same attributes, in the same order)."""
    previous = soup._most_recent_element
    node.parent = parent
    node.previous_element = previous
    if previous is not None:
        previous.next_element = node
    node.next_element = None
    node.next_sibling = None
    siblings = parent.contents if parent is not None else None
    node.previous_sibling = siblings[-1] if siblings else None
    if siblings:
        siblings[-1].next_sibling = node
    soup._most_recent_element = node
    if siblings is not None:
        siblings.append(node)
