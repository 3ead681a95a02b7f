"""The Redis store: one hash per (account, key), claimed, answered and released by one Lua
script, so that each step is atomic across every process sharing the Redis.

Times come from the server's clock (passed in, as milliseconds) rather than Redis's, so that
leases and expiry follow the same clock as everything else; Redis's own expiry (``PEXPIRE``,
the TTL) only removes what is past its time. The script runs on the pipelined connection the rate
limiter uses (kit/redis_script.py's RedisLink): a claim and an answer cost one round trip each,
and the POST /leads hot path sends its claim with the request's rate-limit check (``send_claim``,
``claim_sent``): written together, answered in one read.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import msgspec

from buena_server.errors import ServiceUnavailable
from buena_server.idempotency.model import Claim, Held, StoredResponse
from buena_server.idempotency.store import _GONE, IdempotencyStore
from buena_server.kit.redis_script import Call, RedisLink, ReplyError, ScriptClient, pack

# KEYS[1]: the key's hash. ARGV[1]: operation; then its arguments.
# claim   now_ms fingerprint token lease_ms ttl_ms
#         -> 1 when claimed, else {fingerprint, status, headers, body} of the holder
# save    token status headers body -> 1, or 0 when the token no longer holds the key
# release token -> 1 or 0
SCRIPT = """
local op = ARGV[1]
if op == 'claim' then
  local now = tonumber(ARGV[2])
  -- EXISTS first: for a new key (the usual claim) it costs Redis ~0.5 us less than HMGET.
  if redis.call('EXISTS', KEYS[1]) == 1 then
    local held = redis.call('HMGET', KEYS[1], 'fp', 'status', 'locked', 'expires', 'headers',
                            'body')
    if held[1] then
      if tonumber(held[4]) > now and (held[2] or tonumber(held[3]) > now) then
        return {held[1], held[2], held[5], held[6]}
      end
      redis.call('DEL', KEYS[1])
    end
  end
  redis.call('HSET', KEYS[1], 'fp', ARGV[3], 'token', ARGV[4], 'locked', now + ARGV[5],
             'expires', now + ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return 1
end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then
  return 0
end
if op == 'save' then
  -- 'locked' stays: a claim reads it only while there is no status.
  redis.call('HSET', KEYS[1], 'status', ARGV[3], 'headers', ARGV[4], 'body', ARGV[5])
  return 1
end
redis.call('DEL', KEYS[1])
return 1
"""

_HEADERS = msgspec.json.Decoder(list[tuple[str, str]])
_HEADERS_ENCODER = msgspec.json.Encoder()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _literal(value: bytes) -> bytes:
    """``value`` as a part of a %-format."""
    return value.replace(b"%", b"%%")


_BULK = b"$%d\r\n%b\r\n"  # one argument, given as (length, bytes)


class _PackedCall(Call):
    """A call packed here in one formatting (``Call`` packs each part through ``pack``,
    which cost more than the rest of a claim), for a script client to send."""

    __slots__ = ()

    def __init__(self, script: bytes, evalsha: bytes, keys_and_args: tuple[Any, ...]) -> None:
        self.script = script
        self.evalsha = evalsha
        self.keys_and_args = keys_and_args
        self._eval = None


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The idempotency store is unavailable; retry shortly", headers={"Retry-After": "1"}
    )


def _held(reply: object) -> Held | None:
    """What a claim's reply says: None when this request took the key, else what holds it
    (``_GONE`` for a reply that names no holder: claim again)."""
    if reply == 1:
        return None
    if not isinstance(reply, list) or reply[0] is None:
        return _GONE
    fingerprint, status, headers, body = reply
    response = None
    if status is not None:
        response = StoredResponse(int(status), _HEADERS.decode(headers), body or b"")
    return Held(fingerprint.decode(), response)


class RedisStore(IdempotencyStore):
    sends_claims = True

    def __init__(
        self, redis: RedisLink, prefix: str, *, ttl_seconds: float, lease_seconds: float
    ) -> None:
        super().__init__(ttl_seconds=ttl_seconds, lease_seconds=lease_seconds)
        self.client = ScriptClient(redis, SCRIPT)
        self.prefix = f"{prefix}:idempotency:"
        self._lease_ms = b"%d" % (lease_seconds * 1000)
        self._ttl_ms = b"%d" % (ttl_seconds * 1000)
        head = pack(b"EVALSHA", self.client.sha, 1)
        evalsha = _literal(head[head.index(b"\r\n") + 2 :])  # without its "*3"
        # "*N" counts every part: EVALSHA, sha, numkeys, the key, the operation, its arguments.
        self._claim_format = (
            b"*10\r\n"
            + evalsha
            + _BULK
            + _literal(pack(b"claim")[4:])
            + _BULK * 3  # now_ms fingerprint token
            + _literal(pack(self._lease_ms, self._ttl_ms)[4:])
        )
        self._save_format = b"*9\r\n" + evalsha + _BULK + _literal(pack(b"save")[4:]) + _BULK * 4
        self._release_format = b"*6\r\n" + evalsha + _BULK + _literal(pack(b"release")[4:]) + _BULK

    def _key(self, account_id: str, key: str) -> bytes:
        return f"{self.prefix}{account_id}:{key}".encode()

    async def _run(self, packed: bytes, keys_and_args: tuple[Any, ...]) -> object:
        try:
            return await self.client.send(_PackedCall(self.client.script, packed, keys_and_args))
        except (OSError, ReplyError) as exc:
            raise _unavailable() from exc

    def _claim_call(self, claim: Claim, now: datetime) -> tuple[bytes, tuple[Any, ...]]:
        key = self._key(claim.account_id, claim.key)
        now_ms, fingerprint = b"%d" % _ms(now), claim.fingerprint.encode()
        token = claim.token.encode()
        packed = self._claim_format % (
            len(key), key, len(now_ms), now_ms, len(fingerprint), fingerprint, len(token), token
        )  # fmt: skip
        return packed, (1, key, "claim", now_ms, fingerprint, token, self._lease_ms, self._ttl_ms)

    async def _claim(self, claim: Claim, now: datetime) -> Held | None:
        return _held(await self._run(*self._claim_call(claim, now)))

    def send_claim(self, claim: Claim, now: datetime) -> Awaitable[object] | None:
        # Straight on the link: written with whatever else this pass of the event loop sends
        # (the request's rate-limit check), a NOSCRIPT reply left to claim_sent.
        try:
            return self.client.link.send(self._claim_call(claim, now)[0])
        except OSError:
            return None  # the usual claim reports it

    async def claim_sent(self, claim: Claim, reply: Awaitable[object]) -> Claim | Held | None:
        try:
            answer = await reply
        except OSError as exc:  # it may have run: not tried again
            raise _unavailable() from exc
        if isinstance(answer, ReplyError):
            if str(answer).startswith("NOSCRIPT"):
                return None  # it did not run
            raise _unavailable() from answer
        held = _held(answer)
        if held is _GONE:
            return None
        return claim if held is None else held

    async def save(self, claim: Claim, response: StoredResponse) -> bool:
        key, token = self._key(claim.account_id, claim.key), claim.token.encode()
        status, headers = b"%d" % response.status, _HEADERS_ENCODER.encode(response.headers)
        body = response.body
        packed = self._save_format % (
            len(key), key, len(token), token, len(status), status, len(headers), headers,
            len(body), body,
        )  # fmt: skip
        reply = await self._run(packed, (1, key, "save", token, status, headers, body))
        return reply == 1

    async def release(self, claim: Claim) -> None:
        key, token = self._key(claim.account_id, claim.key), claim.token.encode()
        await self._run(
            self._release_format % (len(key), key, len(token), token),
            (1, key, "release", token),
        )
