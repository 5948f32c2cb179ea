"""A per-client rate limit (token bucket), off unless ``TIMTIN_RATE_LIMIT`` is set.

``TIMTIN_RATE_LIMIT=60/minute`` lets each client (its IP address, ``request.remote_addr``)
make 60 requests per minute, in bursts of up to 60; further requests get HTTP 429 with a
``Retry-After`` header (JSON ``{"error": {"code": "rate_limited", ...}}`` on API routes, the
Vietnamese error page elsewhere).  Units: ``second``, ``minute``, ``hour``, ``day`` (or ``s``,
``m``, ``h``, ``d``).  ``/healthz`` and static files are never limited, and the limit is off
when the app runs in debug (development) mode.

Buckets live in each process's memory: with ``timtin serve --workers N`` a client may get up
to N times the limit, and restarting a worker forgets its buckets.

Behind a reverse proxy every connection comes from the proxy.  ``TIMTIN_TRUSTED_PROXIES`` lists
the proxies' addresses or networks (``127.0.0.1,10.0.0.0/8``; default: none): for a request
whose peer is one of them, the client is the right-most address in ``X-Forwarded-For`` that is
not itself a trusted proxy.  From any other peer ``X-Forwarded-For`` is ignored, so a client
cannot pick its own bucket.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, request

ENV_VAR = "TIMTIN_RATE_LIMIT"
CONFIG_KEY = "RATE_LIMIT"
PROXIES_ENV_VAR = "TIMTIN_TRUSTED_PROXIES"
PROXIES_CONFIG_KEY = "TRUSTED_PROXIES"
MAX_FORWARDED = 20  # X-Forwarded-For entries looked at (right to left)
EXEMPT_PATHS = ("/healthz", "/static/", "/favicon")
MAX_CLIENTS = 100_000  # buckets kept; the least recently seen client is forgotten first
_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
          "h": 3600.0, "hour": 3600.0, "d": 86400.0, "day": 86400.0}
_SPEC_RE = re.compile(r"\s*(\d{1,9})\s*(?:/|per)\s*([a-z]+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    """``requests`` per ``period`` seconds (also the largest burst)."""

    requests: int
    period: float

    @property
    def rate(self) -> float:
        return self.requests / self.period

    def __str__(self) -> str:
        return f"{self.requests} per {self.period:g} s"


def parse_limit(spec: str | None) -> Limit | None:
    """``"60/minute"`` → Limit(60, 60.0); empty, ``off``, ``0`` or ``none`` → None; ValueError otherwise."""
    if spec is None or spec.strip().lower() in ("", "0", "off", "none", "false", "no"):
        return None
    m = _SPEC_RE.fullmatch(spec)
    unit = m.group(2).lower() if m else ""
    if unit not in _UNITS and unit.endswith("s") and len(unit) > 2:
        unit = unit[:-1]  # "minutes", not "ms"
    if not m or unit not in _UNITS or int(m.group(1)) < 1:
        raise ValueError(f"{ENV_VAR}={spec!r}: expected a limit such as '60/minute' "
                         "(units: second, minute, hour, day) or 'off'")
    return Limit(int(m.group(1)), _UNITS[unit])


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(spec: str | None) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` → networks; empty or None → (); ValueError naming the bad entry."""
    out = []
    for item in (spec or "").replace(";", ",").split(","):
        if item := item.strip():
            try:
                out.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{PROXIES_ENV_VAR}: {item!r} is not an IP address or network "
                                 "(expected e.g. '127.0.0.1,10.0.0.0/8')") from None
    return tuple(out)


def _trusted(addr: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(addr.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in proxies)


def client_address(remote_addr: str | None, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The client's address: ``remote_addr``, or from ``X-Forwarded-For`` when the peer is a trusted proxy.

    Walks the forwarded addresses from the right (the one the nearest proxy added) past every
    trusted proxy; the first other address is the client.  A malformed entry ends the walk there.
    """
    addr = remote_addr or "unknown"
    if not proxies or not _trusted(addr, proxies):
        return addr
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops[-MAX_FORWARDED:]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return addr  # garbage: keep the last trustworthy address
        if not _trusted(hop, proxies):
            return hop
        addr = hop
    return addr


class TokenBuckets:
    """Thread-safe token buckets, one per client key, bounded to ``max_clients`` entries."""

    def __init__(self, limit: Limit, max_clients: int = MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, updated)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token for ``key``: 0.0 if allowed, else the seconds until a token is back."""
        now = self.clock()
        cap = float(self.limit.requests)
        with self._lock:
            tokens, updated = self._buckets.pop(key, (cap, now))
            tokens = min(cap, tokens + (now - updated) * self.limit.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.limit.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


def init_rate_limit(app: Flask) -> TokenBuckets | None:
    """Install the limit from ``app.config["RATE_LIMIT"]`` or ``$TIMTIN_RATE_LIMIT`` (off when unset)."""
    limit = parse_limit(app.config.get(CONFIG_KEY, os.environ.get(ENV_VAR)))
    proxies = parse_proxies(app.config.get(PROXIES_CONFIG_KEY, os.environ.get(PROXIES_ENV_VAR)))
    if limit is None:
        return None
    buckets = TokenBuckets(limit)
    app.extensions["timtin_rate_limit"] = buckets

    @app.before_request
    def _rate_limit() -> tuple[Response | str, int, dict[str, str]] | None:
        if current_app.debug or request.path.startswith(EXEMPT_PATHS):
            return None
        client = client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"), proxies)
        wait = buckets.take(client)
        if not wait:
            return None
        from webapp import error_response

        retry = max(1, math.ceil(wait))
        resp, status = error_response(
            429, "rate_limited",
            f"Too many requests: the limit is {limit.requests} per {_period_name(limit.period)}; "
            f"try again in {retry} s.",
            f"Bạn gửi quá nhiều yêu cầu. Vui lòng thử lại sau {retry} giây.")
        return resp, status, {"Retry-After": str(retry)}

    return buckets


def _period_name(seconds: float) -> str:
    names = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}
    return names.get(seconds, f"{seconds:g} seconds")
