"""HTML (Anki fields, Anki's text export) to readable text with Discord markdown.

``<b>``/``<strong>`` become ``**``, ``<i>``/``<em>`` ``*``, ``<u>`` ``__``,
``<s>`` ``~~``, ``<code>`` a backtick; ``<br>``, ``<div>``, ``<p>`` and list
items start new lines (items with ``- `` or ``1. ``). Media (``<img>``,
``<audio>``, ``<video>``, ``[sound:…]``) are dropped and counted; scripts and
styles are dropped. Whitespace is collapsed as a browser would.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SOUND = re.compile(r"\[sound:[^\]]*\]")
_MEDIA_TAGS = frozenset({"img", "audio", "video", "object", "embed"})
_HIDDEN = frozenset({"script", "style", "head", "title"})
_MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*", "u": "__", "s": "~~", "code": "`"}
_MARKS |= {"del": "~~", "strike": "~~"}
_BLOCKS = frozenset(
    {"div", "p", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
)
_SPACE = re.compile(r"[ \t\r\n\f\u00a0]+")


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.media = 0
        self._hidden = 0
        self._lists: list[list[int]] = []  # per open list: [next number] or [] for bullets

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _MEDIA_TAGS:
            self.media += 1
        elif tag in _MARKS:
            self.parts.append(_MARKS[tag])
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self._newline()
            self.parts.append("\n")
        elif tag in ("ul", "ol"):
            self._newline()
            self._lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            self._newline()
            numbering = self._lists[-1] if self._lists else []
            if numbering:
                self.parts.append(f"{numbering[0]}. ")
                numbering[0] += 1
            else:
                self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _BLOCKS:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _MEDIA_TAGS:
            self.media += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self._newline()
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _MARKS:
            self.parts.append(_MARKS[tag])
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._newline()
        elif tag in _BLOCKS or tag == "li":
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(_SPACE.sub(" ", data))


def html_to_text(html: str) -> tuple[str, int]:
    """``html`` as text with Discord markdown, and how many media references it dropped."""
    sounds = len(_SOUND.findall(html))
    converter = _Converter()
    converter.feed(_SOUND.sub("", html))
    converter.close()
    lines = [line.strip() for line in "".join(converter.parts).split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    # An emphasis around nothing (``<b> </b>``) would show its asterisks.
    text = re.sub(r"(\*\*|__|~~|`)\s*\1", "", text).strip()
    return text, sounds + converter.media


def count_media(html: str) -> int:
    """Media references in ``html`` (images, audio, video, ``[sound:…]``)."""
    return html_to_text(html)[1]
