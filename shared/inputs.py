"""Limits on what a request may carry, enforced once for every service.

- **Integers**: a path id outside ``0 … 2^31-1`` is a 404 (the ``int`` URL converter;
  every id is an ``INTEGER`` column, 32 bits on PostgreSQL); an integer in a query or
  body outside 64 bits is a 422 naming the field (the arguments parser, after the
  schema loaded it). A value the database still refuses (beyond an ``INTEGER`` column
  on PostgreSQL, say) is a 422 from ``shared.errors``.
- **JSON** nests at most :data:`MAX_JSON_DEPTH` levels and holds only finite numbers
  (``NaN``/``Infinity`` are not JSON): 400 otherwise, whichever way the body is read
  (the arguments parser, ``request.get_json``, :func:`parse_nested` for views that
  parse a body themselves).
- **Streamed bodies** (chunked, no ``Content-Length``) are held to the same
  ``MAX_CONTENT_LENGTH`` as the others: 413 (:class:`StreamedBodyLimit`).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from typing import Any

from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from shared.errors import BadRequest

MAX_ID = 2**31 - 1
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)
MAX_JSON_DEPTH = 64


class IdConverter(IntegerConverter):
    """``<int:…>`` for ids: 0 … 2^31-1; anything larger matches no route (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_nested(parse: Callable[[str], Any], text: str) -> Any:
    """``parse(text)`` (``json.loads``, ``yaml.safe_load``…) held to the nesting limit.

    Raises BadRequest (400) for a document nested deeper than :data:`MAX_JSON_DEPTH`
    levels; the parser's own errors pass through.
    """
    try:
        value = parse(text)
    except RecursionError:
        raise _too_deep() from None
    check_depth(value)
    return value


def loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses ``NaN``/``Infinity`` and deep nesting (BadRequest)."""
    return parse_nested(lambda s: json.loads(s, parse_constant=_refuse_constant), text)


def check_depth(value: Any) -> None:
    """Raise BadRequest (400) when containers nest deeper than :data:`MAX_JSON_DEPTH`."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children)


def out_of_range(value: Any, path: str = "") -> dict[str, list[str]]:
    """Fields of loaded arguments holding an integer outside 64 bits or a non-finite
    float, as ``{"a.0.b": [reason]}``."""
    problems: dict[str, list[str]] = {}
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{where}.{i}" if where else str(i)) for i, v in enumerate(item))
        elif isinstance(item, int) and not isinstance(item, bool):
            if not MIN_INT <= item <= MAX_INT:
                problems[where or "_schema"] = [
                    f"must be between {MIN_INT} and {MAX_INT}"]
        elif isinstance(item, float) and not math.isfinite(item):
            problems[where or "_schema"] = ["must be a finite number"]
    return problems


class ArgumentsParser(FlaskParser):
    """webargs' parser for flask-smorest with the limits above."""

    def _raw_load_json(self, req):
        from webargs.core import missing
        from webargs.flaskparser import is_json_request

        if not is_json_request(req):
            return missing
        data = req.get_data(cache=True)
        try:
            return loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}",
                                       doc=str(exc.object), pos=exc.start) from exc

    def _process_location_data(self, location_data, schema, req, location, unknown,
                               validators):
        data = super()._process_location_data(location_data, schema, req, location, unknown,
                                              validators)
        problems = out_of_range(data)
        if problems:
            raise ValidationError(problems)
        return data


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON with :func:`loads` for ``request.get_json``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if isinstance(s, bytes):
            s = s.decode("utf-8")
        return loads(s)


class StreamedBodyLimit:
    """WSGI middleware: a body without ``Content-Length`` (chunked) is read up to
    ``limit() + 1`` bytes and handed on with its length set, so that the app sees an
    ordinary body; a longer one is dropped and marked, and :func:`refuse_marked_body`
    answers 413. (Werkzeug alone hands a streamed body cut at the limit to the parser.)
    """

    def __init__(self, app, limit: Callable[[], int | None]) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        limit = self.limit()
        if limit is not None and _streamed(environ):
            body = _read_up_to(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                environ[_TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING")  # the body is no longer chunked
            environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)


def refuse_marked_body() -> None:
    """``before_request``: 413 for a streamed body that :class:`StreamedBodyLimit` dropped."""
    from flask import request
    from werkzeug.exceptions import RequestEntityTooLarge

    if request.environ.get(_TOO_LARGE):
        raise RequestEntityTooLarge()


_TOO_LARGE = "kaoping.streamed_body_too_large"


def _streamed(environ) -> bool:
    return (not environ.get("CONTENT_LENGTH")
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower())


def _read_up_to(stream, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        part = stream.read(min(size - got, 1 << 20))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _refuse_constant(name: str) -> Any:
    raise BadRequest("Malformed JSON body", {"json": [f"{name} is not a JSON number"]})


def _too_deep() -> BadRequest:
    return BadRequest("JSON body nested too deeply",
                      {"json": [f"nested deeper than {MAX_JSON_DEPTH} levels"]})
