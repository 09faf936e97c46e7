"""HTTP client for calls between services: timeouts, bounded retries, request ids.

Retries (with exponential backoff) cover connection errors and 5xx answers, and
only for requests that are safe to repeat: GET/PUT/DELETE, or a POST that carries an
``Idempotency-Key``. When the other service stays down the caller gets
``DependencyDown`` (503) naming it; a 4xx answer is raised as ``ServiceError``.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from shared.errors import DependencyDown, DomainError
from shared.logs import current_request_id

SAFE_METHODS = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


class ServiceError(DomainError):
    """The other service answered 4xx; ``status`` and ``errors`` are passed on.

    ``upstream_status`` is the status the other service answered (``status`` is what a
    service passes on to its own caller: 401, 403 and 413 there become a 502 here)."""

    def __init__(self, service: str, status: int, body: dict[str, Any]):
        super().__init__(f"{service}: {body.get('message', 'error')}", body.get("errors"))
        self.status = status if status in (400, 404, 409, 422) else 502
        self.upstream_status = status
        self.body = body


class ServiceClient:
    def __init__(self, name: str, base_url: str, token: str | None = None, *,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.2,
                 session: requests.Session | None = None):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.http = session or requests.Session()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request_id = current_request_id()
        if request_id:
            headers["X-Request-ID"] = request_id
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                **kwargs: Any) -> requests.Response:
        """Send, retrying what is safe; raise DependencyDown or ServiceError."""
        method = method.upper()
        all_headers = self._headers(headers)
        retryable = method in SAFE_METHODS or "Idempotency-Key" in all_headers
        attempts = self.retries + 1 if retryable else 1
        url = f"{self.base_url}{path}"
        last: str = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.http.request(method, url, headers=all_headers,
                                             timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                last = exc.__class__.__name__
                continue
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                try:
                    body = response.json()
                except ValueError:
                    body = {"message": response.text[:200]}
                raise ServiceError(self.name, response.status_code, body)
            return response
        raise DependencyDown(f"{self.name} service unavailable ({last}) at {url}",
                             {"service": [self.name]})

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post_json(self, path: str, payload: Any, *, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", path, json=payload, headers=headers).json()


def peer_client(caller: str, target: str, *, url: str | None = None, key: str | None = None,
                ttl: int = 300, **options: Any) -> ServiceClient:
    """A client of service ``target`` carrying a short-lived ``service`` token of ``caller``.

    ``url`` defaults to ``<TARGET>_URL``; ``key`` to the JWT secret; ``options`` are
    ServiceClient's (timeout, retries, backoff).
    """
    from shared.auth import issue_token
    from shared.gunicorn_settings import service_url

    token = issue_token(caller, "service", ttl=ttl, key=key)
    return ServiceClient(target, url or service_url(target), token, **options)
