"""The Redis store: one hash per (account, key), claimed, answered and released by one Lua
script, so that each step is atomic across every process sharing the Redis.

Times come from the server's clock (passed in, as milliseconds) rather than Redis's, so that
leases and expiry follow the same clock as everything else; Redis's own expiry (``PEXPIRE``,
the TTL) only removes what is past its time. The script runs on the pipelined client the rate
limiter uses (redis_script.py): a claim and an answer cost one round trip each.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from buena_server.errors import ServiceUnavailable
from buena_server.idempotency.model import Claim, Held, StoredResponse
from buena_server.idempotency.store import _GONE, IdempotencyStore
from buena_server.redis_script import ReplyError, ScriptClient

# KEYS[1]: the key's hash. ARGV[1]: operation; then its arguments.
# claim   now_ms fingerprint token locked_until_ms expires_ms ttl_ms
#         -> 1 when claimed, else {fingerprint, status, headers, body} of the holder
# save    token status headers body -> 1, or 0 when the token no longer holds the key
# release token -> 1 or 0
SCRIPT = """
local op = ARGV[1]
if op == 'claim' then
  local held = redis.call('HMGET', KEYS[1], 'fp', 'status', 'locked', 'expires', 'headers', 'body')
  local now = tonumber(ARGV[2])
  if held[1] and tonumber(held[4]) > now and (held[2] or tonumber(held[3]) > now) then
    return {held[1], held[2], held[5], held[6]}
  end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'fp', ARGV[3], 'token', ARGV[4], 'locked', ARGV[5],
             'expires', ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
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


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisStore(IdempotencyStore):
    def __init__(
        self, url: str, prefix: str, *, timeout: float, ttl_seconds: float, lease_seconds: float
    ) -> None:
        super().__init__(ttl_seconds=ttl_seconds, lease_seconds=lease_seconds)
        self.client = ScriptClient(url, SCRIPT, timeout=timeout)
        self.prefix = f"{prefix}:idempotency:"

    def _key(self, account_id: str, key: str) -> str:
        return f"{self.prefix}{account_id}:{key}"

    async def _run(self, key: str, *args: str | int | bytes) -> object:
        try:
            return await self.client.run([key], list(args))
        except (OSError, ReplyError) as exc:
            raise ServiceUnavailable(
                "The idempotency store is unavailable; retry shortly",
                headers={"Retry-After": "1"},
            ) from exc

    async def _claim(self, claim: Claim, now: datetime) -> Held | None:
        reply = await self._run(
            self._key(claim.account_id, claim.key),
            "claim",
            _ms(now),
            claim.fingerprint,
            claim.token,
            _ms(now + self.lease),
            _ms(now + self.ttl),
            int(self.ttl.total_seconds() * 1000),
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
            self._key(claim.account_id, claim.key),
            "save",
            claim.token,
            response.status,
            msgspec.json.encode(response.headers),
            response.body,
        )
        return reply == 1

    async def release(self, claim: Claim) -> None:
        await self._run(self._key(claim.account_id, claim.key), "release", claim.token)

    async def close(self) -> None:
        await self.client.close()
