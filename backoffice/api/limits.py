"""Requests per client per minute, counted where every worker sees the same count: in Redis
when the portal runs with it (``REFLEX_REDIS_URL``, several workers), else in this process (one
worker: the only one that answers)."""

from __future__ import annotations

import math
import threading
import time
from functools import cache

from backoffice.config import get_settings

WINDOW_SECONDS = 60


class _Local:
    def __init__(self) -> None:
        self._counts: dict[tuple[int, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, client_id: int, window: int) -> int:
        with self._lock:
            if len(self._counts) > 10_000:  # windows gone by
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((client_id, window), 0) + 1
            self._counts[(client_id, window)] = count
            return count


class _Shared:
    prefix = "backoffice:api-rate"

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)

    def hit(self, client_id: int, window: int) -> int:
        key = f"{self.prefix}:{client_id}:{window}"
        with self._redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = pipe.execute()
        return int(count)


@cache
def _counter() -> _Local | _Shared:
    url = get_settings().redis_url
    return _Shared(url) if url else _Local()


def reset() -> None:
    """Forget the counter (tests that switch between Redis and none)."""
    _counter.cache_clear()


def retry_after(client_id: int, limit: int, now: float | None = None) -> int | None:
    """Count one request; the seconds to wait when the client is over its limit, else None."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    if _counter().hit(client_id, window) <= limit:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
