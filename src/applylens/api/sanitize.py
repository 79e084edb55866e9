"""Sanitising the HTML of an email before the page shows it.

Mail HTML is hostile input: nh3 (the ammonia sanitiser) keeps an allow-list of
tags and attributes, so scripts, styles, event handlers, forms and frames are
dropped. Images are dropped too, because a remote image tells the sender when
the message was read.
"""

from __future__ import annotations

import copy

import nh3

_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
_ATTRIBUTES = {
    tag: set(names)
    for tag, names in copy.deepcopy(nh3.ALLOWED_ATTRIBUTES).items()
    if tag in _TAGS
}
_URL_SCHEMES = {"http", "https", "mailto"}
_REMOVED_WITH_CONTENT = {"script", "style", "title", "noscript", "template"}


def sanitize_email_html(html: str) -> str:
    """Return `html` with only inert markup left: no scripts, event handlers,
    `javascript:` links, styles or images; links open nothing on their own."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_REMOVED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
