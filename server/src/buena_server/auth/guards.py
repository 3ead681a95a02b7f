"""Permissions declared next to each route: ``guards=[requires(Permission.LEADS_READ)]``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from buena_server.auth.permissions import Permission
from buena_server.auth.principal import Principal
from buena_server.errors import PermissionDenied, Unauthorized

REQUIRED_PERMISSION_OPT = "required_permission"


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("auth")
    if not isinstance(principal, Principal):
        raise Unauthorized("Missing API key", details={"reason": "missing"})
    return principal


class RequiresPermission:
    """The guard ``requires`` makes: 403 unless the caller's key holds ``permission``.

    A class rather than a closure so that the permission a route declares can be read back
    from its guards (``declared_permissions``): the permission table test compares what each
    route declares with how it behaves. ``__call__`` is a coroutine function: Litestar runs
    a plain function guard in a worker thread.
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        self.__name__ = f"requires_{permission.value.replace(':', '_')}"

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        principal = principal_of(connection)
        if self.permission not in principal.permissions:
            raise permission_denied(self.permission, principal.permissions)


def permission_denied(required: Permission, granted: Iterable[str]) -> PermissionDenied:
    return PermissionDenied(
        f"This API key lacks the '{required}' permission",
        details={"required": [required.value], "granted": sorted(granted)},
    )


def requires(permission: Permission) -> RequiresPermission:
    return RequiresPermission(permission)


def declared_permissions(handler: BaseRouteHandler) -> frozenset[Permission]:
    """The permissions a route handler's guards (its own and its layers') require."""
    return frozenset(
        guard.permission
        for guard in handler.resolve_guards()
        if isinstance(guard, RequiresPermission)
    )
