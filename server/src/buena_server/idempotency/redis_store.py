"""The Redis store: one hash per (account, key), claimed, answered and released by one Lua
script, so that each step is atomic across every process sharing the Redis.

Times come from the server's clock (passed in, as milliseconds) rather than Redis's, so that
leases and expiry follow the same clock as everything else; Redis's own expiry (``PEXPIRE``,
the TTL) only removes what is past its time. The script runs on the pipelined connection the rate
limiter uses (kit/redis_script.py's RedisLink): a claim and an answer cost one round trip each.
"""

from __future__ import annotations

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
  local held = redis.call('HMGET', KEYS[1], 'fp', 'status', 'locked', 'expires', 'headers', 'body')
  local now = tonumber(ARGV[2])
  if held[1] then
    if tonumber(held[4]) > now and (held[2] or tonumber(held[3]) > now) then
      return {held[1], held[2], held[5], held[6]}
    end
    redis.call('DEL', KEYS[1])
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
  redis.call('HSET', KEYS[1], 'status', ARGV[3], 'headers', ARGV[4], 'body', ARGV[5])
  redis.call('HDEL', KEYS[1], 'locked')
  return 1
end
redis.call('DEL', KEYS[1])
return 1
"""

_HEADERS = msgspec.json.Decoder(list[tuple[str, str]])
_HEADERS_ENCODER = msgspec.json.Encoder()


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(value), value)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class _PackedCall(Call):
    """A call packed here in one pass (``Call`` packs each part through ``pack``, which
    costs more than the rest of a claim), for a script client to send."""

    __slots__ = ()

    def __init__(self, script: bytes, evalsha: bytes, keys_and_args: tuple[Any, ...]) -> None:
        self.script = script
        self.evalsha = evalsha
        self.keys_and_args = keys_and_args
        self._eval = None


class RedisStore(IdempotencyStore):
    def __init__(
        self, redis: RedisLink, prefix: str, *, ttl_seconds: float, lease_seconds: float
    ) -> None:
        super().__init__(ttl_seconds=ttl_seconds, lease_seconds=lease_seconds)
        self.client = ScriptClient(redis, SCRIPT)
        self.prefix = f"{prefix}:idempotency:"
        self._lease_ms = b"%d" % (lease_seconds * 1000)
        self._ttl_ms = b"%d" % (ttl_seconds * 1000)
        head = pack(b"EVALSHA", self.client.sha, 1)
        # "*N" counts every part: EVALSHA, sha, numkeys, key, then the operation's arguments.
        self._heads = {
            op: b"*%d\r\n" % (4 + arity) + head[head.index(b"\r\n") + 2 :]
            for op, arity in (("claim", 6), ("save", 5), ("release", 2))
        }
        self._claim_tail = _bulk(self._lease_ms) + _bulk(self._ttl_ms)

    def _key(self, account_id: str, key: str) -> bytes:
        return f"{self.prefix}{account_id}:{key}".encode()

    async def _run(self, op: str, key: bytes, *args: bytes, constant: bool = False) -> object:
        """Run ``op``; ``constant``: the claim's lease and TTL follow ``args``."""
        packed = self._heads[op] + b"".join([_bulk(part) for part in (key, op.encode(), *args)])
        if constant:
            packed += self._claim_tail
            args = (*args, self._lease_ms, self._ttl_ms)
        call = _PackedCall(self.client.script, packed, (1, key, op, *args))
        try:
            return await self.client.send(call)
        except (OSError, ReplyError) as exc:
            raise ServiceUnavailable(
                "The idempotency store is unavailable; retry shortly",
                headers={"Retry-After": "1"},
            ) from exc

    async def _claim(self, claim: Claim, now: datetime) -> Held | None:
        reply = await self._run(
            "claim",
            self._key(claim.account_id, claim.key),
            b"%d" % _ms(now),
            claim.fingerprint.encode(),
            claim.token.encode(),
            constant=True,
        )
        if reply == 1:
            return None
        if not isinstance(reply, list) or reply[0] is None:
            return _GONE
        fingerprint, status, headers, body = reply
        response = None
        if status is not None:
            response = StoredResponse(int(status), _HEADERS.decode(headers), body or b"")
        return Held(fingerprint.decode(), response)

    async def save(self, claim: Claim, response: StoredResponse) -> bool:
        reply = await self._run(
            "save",
            self._key(claim.account_id, claim.key),
            claim.token.encode(),
            b"%d" % response.status,
            _HEADERS_ENCODER.encode(response.headers),
            response.body,
        )
        return reply == 1

    async def release(self, claim: Claim) -> None:
        await self._run("release", self._key(claim.account_id, claim.key), claim.token.encode())
