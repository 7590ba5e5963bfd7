"""Minutes are written in Markdown and shown as sanitised HTML, or as plain blocks in exports.

Two layers, so that a gap in one is caught by the other: markdown-it never passes raw HTML through
(`html=False`) and refuses unsafe link targets; nh3 then keeps only an allow-list of tags and attributes,
only http, https and mailto links, and drops every script, style and event handler.
"""
from __future__ import annotations

from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]).disable("image")  # images would load from elsewhere: links instead

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str | None, top: int = 1) -> Markup:
    """Markdown to HTML that is safe to put on a page; a `#` heading becomes <h{top}> so that text shown under a
    page's own headings keeps the outline (one <h1> per page), deeper ones follow down to <h6>."""
    tokens = _md.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + top - 1)}"
    html = _md.renderer.render(tokens, _md.options, {})
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="noopener noreferrer nofollow", strip_comments=True))


@dataclass
class Block:
    """One block of text for a document export: kind is h1..h6, p, li, code or quote; level nests lists."""
    kind: str
    text: str
    level: int = 0


def _inline_text(token) -> str:
    parts, href = [], None
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            href = child.attrs.get("href")
        elif child.type == "link_close" and href:
            if str(href).startswith(("http://", "https://")):
                parts.append(f" ({href})")
            href = None
    return "".join(parts)


def blocks(text: str | None) -> list[Block]:
    """Markdown as a flat list of headings, paragraphs, list items, quotes and code, for PDF and DOCX."""
    out: list[Block] = []
    list_level, quote_level, heading = 0, 0, None
    for token in _md.parse(text or ""):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_level += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_level -= 1
        elif token.type == "blockquote_open":
            quote_level += 1
        elif token.type == "blockquote_close":
            quote_level -= 1
        elif token.type == "heading_open":
            heading = token.tag
        elif token.type == "heading_close":
            heading = None
        elif token.type in ("fence", "code_block"):
            out.append(Block("code", token.content.rstrip("\n")))
        elif token.type == "inline":
            content = _inline_text(token)
            if heading:
                kind = heading
            elif list_level:
                kind = "li"
            elif quote_level:
                kind = "quote"
            else:
                kind = "p"
            out.append(Block(kind, content, max(list_level - 1, 0)))
    return out
