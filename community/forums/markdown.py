"""Markdown to sanitized HTML, done once when a post is written.

Two layers: markdown-it-py with raw HTML switched off (so typed tags come out as text), then nh3
(ammonia) with a short allow-list, so even a bug in the first layer cannot let a script, an event
handler or a `javascript:` URL through. Images are kept only from the site's own IPFS gateway
(`/ipfs/<cid>`); any other image becomes a plain link to its URL, which the link rules then check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from app.inputs import clean_text

#: rel on every link: posts are user content, and nothing they link to may reach window.opener.
LINK_REL = "nofollow ugc noopener"
#: The site's own read-only gateway: a CID and an optional path inside it, nothing else.
IPFS_IMAGE = re.compile(r"^/ipfs/[A-Za-z0-9]{10,100}(?:/[A-Za-z0-9._~-]+)*$")
LINK_SCHEMES = {"http", "https", "mailto"}

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


def is_gateway_image(src: str) -> bool:
    return bool(IPFS_IMAGE.match(src))


def _render_image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """Show gateway images; turn any other image into a link so nothing is fetched from outside."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if is_gateway_image(src):
        return f'<img src="{escape(src)}" alt="{escape(alt)}">'
    return f'<a href="{escape(src)}">{escape(alt or src)}</a>'


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.add_render_rule("image", _render_image)
    return parser


_PARSER = _parser()


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Second line of defence for images: whatever produced the tag, only the gateway may be its source.
    if tag == "img" and attribute == "src":
        return value if is_gateway_image(value) else None
    if tag == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) < 10 else None
    return value


def render_post(source: str) -> Markup:
    """Render a post's Markdown to HTML that is safe to show as it is."""
    html = _PARSER.render(clean_text(source))
    return Markup(sanitize(html))


def plain_text(source: str) -> str:
    """The words of a post without its Markdown (for search snippets): text, code and image
    descriptions, one space between blocks."""
    parts: list[str] = []
    for token in _PARSER.parse(clean_text(source)):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in {"text", "code_inline", "image"}:
                    parts.append(child.content)
                elif child.type in {"softbreak", "hardbreak"}:
                    parts.append(" ")
        elif token.type in {"code_block", "fence"}:
            parts.append(token.content)
        parts.append(" ")
    return " ".join("".join(parts).split())


def sanitize(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes; add rel to every link."""
    options: dict[str, Any] = {
        "tags": ALLOWED_TAGS,
        "attributes": ALLOWED_ATTRIBUTES,
        "url_schemes": LINK_SCHEMES,
        "link_rel": LINK_REL,
        "attribute_filter": _filter_attribute,
        "strip_comments": True,
    }
    return nh3.clean(html, **options)
