"""Command-line options that take a URL, checked before any connection."""

from __future__ import annotations

from collections.abc import Callable

import click

from applylens.config import HTTP_SCHEMES, check_es_url, check_url


class UrlType(click.ParamType):
    """A URL checked by `check`, which raises ValueError with the reason."""

    name = "url"

    def __init__(self, check: Callable[[str], str]) -> None:
        self.check = check

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        try:
            return self.check(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def http_url(service: str, example: str) -> UrlType:
    """Build the option type for an http:// or https:// base URL of `service`,
    such as "Grafana"."""

    def check(url: str) -> str:
        return check_url(
            url, name=f"{service} URL", schemes=HTTP_SCHEMES, example=example
        )

    return UrlType(check)


ES_URL = UrlType(lambda url: check_es_url(url, name="Elasticsearch URL"))
