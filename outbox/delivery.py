"""The delivery worker: claim queued deliveries, sign them, POST them, and
record what became of each (DESIGN.md, "How data flows"; RELIABILITY.md 41-46).

A batch is claimed in one short transaction (``store.claim_deliveries``:
SKIP LOCKED, the attempt counted and the row leased for ``LEASE``), sent
outside any transaction over the shared HTTP client's inbox poster
(``federation.post``: aiohttp, with the fetches' address pinning, TLS and
limits), then recorded in a second short transaction. A worker that dies in
between leaves its rows to be claimed again when the lease runs out, so every
delivery is sent at least once; the receiver dedupes by activity id.

What each answer means:

    2xx                          delivered
    404, 410, other 4xx          failed at once, never retried (410 also marks
                                 the remote actor of that inbox gone)
    408, 429, 5xx, 3xx           retried: redirects are not followed (the
                                 signature covers host and path, and a POST of
                                 followers-only content must not go where the
                                 inbox did not say), but a redirect is usually
                                 a passing misconfiguration, so it is retried
    timeout, connection, DNS,    retried, with the same backoff as a 5xx, so
    TLS errors                   no failure ever loops tightly
    a private address            failed: the transport refuses it (FetchRefused)

Retries back off exponentially with full jitter: attempt n waits RETRY_BASE
plus a random share of min(RETRY_STEP_CAP, RETRY_BASE * 2**(n-1)); a
``Retry-After`` (seconds or an HTTP date) replaces that, kept between
RETRY_BASE and RETRY_AFTER_CAP. A delivery still failing RETRY_WINDOW after it
was queued fails for good. Once a host fails in a batch, its remaining
deliveries in that batch are not sent (they wait like the failed one), so a
dead host costs one timeout per batch, not one per delivery.

Hosts: an answer (2xx or a permanent 4xx) clears a host's failure days; a
retried failure adds today's. ``store.record_host_failure`` marks a host
unavailable after failures on 3 distinct days within a week, and claims skip
it until ``store.record_host_success`` (an answer, or a signed request from
that host reaching the inbox) clears it.

Logs name the delivery id, host and reason, never the payload: it may be
followers-only.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
from collections import deque
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx2

from federation.errors import FetchFailed, FetchRefused
from federation.post import poster_for
from federation.signatures import sign_request
from outbox import store
from outbox.store import Delivery, SigningKey

log = logging.getLogger(__name__)

ACTIVITY_JSON = "application/activity+json"
LEASE = timedelta(minutes=2)  # a claimed row is claimable again after this
BATCH_DEADLINE = 60.0  # seconds a batch may spend sending; well inside LEASE
SEND_TIMEOUT = 15.0  # seconds for one POST, answer included
CONCURRENCY = 16  # requests (and connections) in flight per worker process
PER_HOST = 4  # lanes, each one connection, for one host in one batch
PER_CONNECTION = 16  # a host with n deliveries gets ceil(n / 16) lanes, at most PER_HOST
RETRY_BASE = 30.0
RETRY_STEP_CAP = 6 * 3600.0
RETRY_AFTER_CAP = 6 * 3600.0
RETRY_WINDOW = timedelta(days=2)


class DeliverySettings(Protocol):
    """What the worker needs of ``web.settings.Settings``."""

    @property
    def url(self) -> str: ...  # our base URL, for key ids

    @property
    def allow_private_network(self) -> bool: ...  # tests: plain http allowed


class Result(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


class Host(enum.Enum):
    """What a send says about the host: it answered, it is failing, or it
    was not reached at all (nothing sent, or refused before connecting)."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    result: Result
    reason: str  # for last_error and the log: never any of the payload
    host: Host = Host.UNKNOWN
    retry_after: float | None = None  # seconds the peer asked us to wait
    gone: bool = False  # 410: the inbox's actor is deleted
    deferred: bool = False  # not sent at all: it waits like a failure, logged per host


def _deferred(reason: str) -> Outcome:
    return Outcome(Result.RETRY, f"not sent: {reason}", deferred=True)


async def deliver_batch(
    pool: Any, client: httpx2.AsyncClient, settings: DeliverySettings, limit: int = 50,
    *, slots: asyncio.Semaphore | None = None, stop: asyncio.Event | None = None,
    rng: random.Random | None = None,
) -> int:
    """Claim up to ``limit`` due deliveries, send them, record the outcomes;
    returns how many were claimed (0: nothing is due). One bad delivery never
    raises out of here; a database error does (the rows are retried after
    the lease). ``slots`` bounds requests in flight across concurrent batches;
    once ``stop`` is set, nothing more is sent (what is unsent waits)."""
    async with pool.acquire() as conn, conn.transaction():
        claimed = await store.claim_deliveries(conn, limit, LEASE)
        keys = await store.signing_keys(conn, {d.signer_member_id for d in claimed})
    if not claimed:
        return 0
    sender = _Sender(client, settings, keys, slots or asyncio.Semaphore(CONCURRENCY), stop)
    outcomes = await sender.send_all(claimed)
    async with pool.acquire() as conn, conn.transaction():
        await _record(conn, outcomes, datetime.now(UTC), rng or _RANDOM)
    return len(claimed)


async def deliver_until_idle(
    pool: Any, client: httpx2.AsyncClient, settings: DeliverySettings, stop: asyncio.Event,
    *, limit: int = 200, loops: int = 2,
) -> int:
    """What the delivery job runs: ``loops`` batch loops side by side (so one
    slow batch does not hold up the queue), each until nothing is due or
    ``stop`` is set. Returns how many deliveries were claimed. A database
    error stops every loop and is raised (the job loop logs it and retries)."""
    slots = asyncio.Semaphore(CONCURRENCY)

    async def batches() -> int:
        done = 0
        while not stop.is_set():
            claimed = await deliver_batch(pool, client, settings, limit, slots=slots, stop=stop)
            if not claimed:
                break
            done += claimed
        return done

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(batches()) for _ in range(loops)]
    except* Exception as failed:
        raise failed.exceptions[0] from None
    return sum(task.result() for task in tasks)


def retry_delay(attempts: int, rng: random.Random) -> float:
    """Seconds before the next try after ``attempts`` failed ones: exponential
    with full jitter, never under RETRY_BASE, each step capped."""
    step = min(RETRY_STEP_CAP, RETRY_BASE * 2.0 ** min(max(attempts - 1, 0), 30))
    return min(RETRY_STEP_CAP, RETRY_BASE + rng.uniform(0.0, step))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a ``Retry-After`` (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value[:12])
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def classify(status: int, retry_after: float | None = None) -> Outcome:
    """The outcome of an HTTP answer (the module docstring's table)."""
    if 200 <= status < 300:
        return Outcome(Result.DELIVERED, f"answered {status}", Host.UP)
    if status in (408, 429) or status >= 500:
        return Outcome(Result.RETRY, f"answered {status}", Host.DOWN, retry_after)
    if 400 <= status < 500:
        return Outcome(Result.FAILED, f"answered {status}", Host.UP, gone=status == 410)
    if 300 <= status < 400:
        return Outcome(Result.RETRY, f"answered {status}, a redirect (not followed)", Host.DOWN)
    return Outcome(Result.RETRY, f"answered {status}", Host.DOWN)


_RANDOM: random.Random = random.SystemRandom()  # for jitter


class _Sender:
    """Sends one claimed batch: per host, a few lanes that each send that
    host's deliveries one after another over one connection; a lane holds
    one of ``slots`` for as long as it runs."""

    def __init__(
        self, client: httpx2.AsyncClient, settings: DeliverySettings,
        keys: dict[int | None, SigningKey], slots: asyncio.Semaphore,
        stop: asyncio.Event | None,
    ) -> None:
        self._poster = poster_for(client)
        self._settings = settings
        self._keys = keys
        self._slots = slots
        self._stop = stop
        self._outcomes: dict[int, tuple[Delivery, Outcome]] = {}
        self._tripped: dict[str, str] = {}  # host -> why it failed in this batch

    async def send_all(self, deliveries: list[Delivery]) -> list[tuple[Delivery, Outcome]]:
        by_host: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            by_host.setdefault(delivery.host, []).append(delivery)
        lanes: list[Coroutine[Any, Any, None]] = []
        for items in by_host.values():
            count = min(PER_HOST, -(-len(items) // PER_CONNECTION))
            lanes.extend(self._lane(deque(items[i::count])) for i in range(count))
        try:
            async with asyncio.timeout(BATCH_DEADLINE):
                await asyncio.gather(*lanes)
        except TimeoutError:
            log.warning("delivery batch still sending after %g s; the rest waits", BATCH_DEADLINE)
        late = _deferred(f"the batch ran out of its {BATCH_DEADLINE:g} s")
        return [self._outcomes.get(d.id, (d, late)) for d in deliveries]

    async def _lane(self, queue: deque[Delivery]) -> None:
        """Sends ``queue`` (one host's) in order while holding a slot: the
        connection the first request opens carries the rest, and the last
        one closes it rather than leave it idle in the pool."""
        async with self._slots:
            while queue:
                delivery = queue.popleft()
                why = self._tripped.get(delivery.host)
                if why is not None:
                    outcome = _deferred(f"the host failed earlier in this batch ({why})")
                elif self._stop is not None and self._stop.is_set():
                    outcome = _deferred("the worker is stopping")
                else:
                    outcome = await self._send(delivery, last=not queue)
                    if outcome.result is Result.RETRY and outcome.host is Host.DOWN:
                        self._tripped[delivery.host] = outcome.reason
                self._outcomes[delivery.id] = (delivery, outcome)

    async def _send(self, delivery: Delivery, *, last: bool) -> Outcome:
        key = self._keys.get(delivery.signer_member_id)
        if key is None:
            return Outcome(Result.RETRY, "no signing key for the sender yet")
        if not delivery.inbox.startswith(
            ("https://", "http://") if self._settings.allow_private_network else "https://"
        ):
            return Outcome(Result.FAILED, "the inbox is not an https URL")
        try:
            return await self._post(delivery, key, last)
        except TimeoutError as exc:
            return Outcome(Result.RETRY, f"timed out ({str(exc) or type(exc).__name__})", Host.DOWN)
        except FetchFailed as exc:  # DNS, connection refused or reset, TLS, protocol
            return Outcome(Result.RETRY, exc.reason, Host.DOWN)
        except FetchRefused as exc:  # a private address or an unusable URL: never sent
            return Outcome(Result.FAILED, exc.reason)
        except httpx2.InvalidURL:
            return Outcome(Result.FAILED, "the inbox is not a usable URL")
        except Exception as exc:  # a bug must not stop the other deliveries
            log.exception("delivery %d to %s: unexpected error", delivery.id, delivery.host)
            return Outcome(Result.RETRY, f"internal error ({type(exc).__name__})")

    async def _post(self, delivery: Delivery, key: SigningKey, last: bool) -> Outcome:
        # Signed and sent in one spelling (IDNA host, quoted path, as httpx2
        # writes a URL), so the signed Host and (request-target) are what
        # the peer sees.
        url = str(httpx2.URL(delivery.inbox))
        headers = sign_request(
            "POST", url, {"Content-Type": ACTIVITY_JSON}, delivery.body,
            _key_id(self._settings.url, key), key.private_key_pem,
        )
        async with asyncio.timeout(SEND_TIMEOUT):
            answer = await self._poster.post(url, headers, delivery.body, close=last)
        retry_after = parse_retry_after(answer.retry_after, datetime.now(UTC))
        return classify(answer.status, retry_after)


def _key_id(base: str, key: SigningKey) -> str:
    if key.username is None:
        return f"{base}/actor#main-key"
    return f"{base}/users/{key.username}#main-key"


async def _record(
    conn: Any, outcomes: list[tuple[Delivery, Outcome]], now: datetime, rng: random.Random
) -> None:
    """Write a batch's outcomes: one statement for the delivered, one for the
    retried, one for the failed (a dead host's deferred deliveries are many)."""
    delivered = [d.id for d, o in outcomes if o.result is Result.DELIVERED]
    await store.mark_delivered(conn, delivered)
    plan = _Plan()
    deferred: dict[str, list[Outcome]] = {}
    for delivery, outcome in outcomes:
        if outcome.deferred:
            deferred.setdefault(delivery.host, []).append(outcome)
        if outcome.result is Result.FAILED:
            plan.fail(delivery, outcome.reason)
            if outcome.gone:
                plan.gone.append(delivery.inbox)
        elif outcome.result is Result.RETRY:
            plan.retry(delivery, outcome, now, rng, quiet=outcome.deferred)
    await store.schedule_retries(conn, plan.retries)
    await store.mark_failed_many(conn, plan.failures)
    for inbox in plan.gone:
        await store.mark_inbox_gone(conn, inbox)
    for host, waiting in deferred.items():
        log.info("%d deliveries to %s %s", len(waiting), host, waiting[0].reason)
    answered = _hosts(outcomes, Host.UP)
    await store.record_host_success(conn, answered)
    for host in sorted(_hosts(outcomes, Host.DOWN) - answered):
        if await store.record_host_failure(conn, host, now.date()):
            log.warning("peer host %s is failing on several days: marked unavailable", host)


@dataclass
class _Plan:
    """A batch's retries and failures, written together by ``_record``."""

    retries: list[tuple[int, datetime, str]] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # inboxes that answered 410

    def retry(
        self, delivery: Delivery, outcome: Outcome, now: datetime, rng: random.Random,
        *, quiet: bool = False,
    ) -> None:
        if now - delivery.created_at >= RETRY_WINDOW:
            self.fail(delivery, f"gave up after {delivery.attempts} attempts over "
                      f"{RETRY_WINDOW.days} days; last: {outcome.reason}")
            return
        if outcome.retry_after is not None:
            delay = min(RETRY_AFTER_CAP, max(RETRY_BASE, outcome.retry_after))
        else:
            delay = retry_delay(delivery.attempts, rng)
        if not quiet:
            log.warning("delivery %d to %s: %s; attempt %d, next in %.0f s",
                        delivery.id, delivery.host, outcome.reason, delivery.attempts, delay)
        self.retries.append((delivery.id, now + timedelta(seconds=delay), outcome.reason))

    def fail(self, delivery: Delivery, reason: str) -> None:
        log.warning("delivery %d to %s failed for good: %s", delivery.id, delivery.host, reason)
        self.failures.append((delivery.id, reason))


def _hosts(outcomes: Iterable[tuple[Delivery, Outcome]], state: Host) -> set[str]:
    return {delivery.host for delivery, outcome in outcomes if outcome.host is state}
