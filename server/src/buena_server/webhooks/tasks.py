"""The webhooks domain's tasks: "webhooks.fan_out" (an event's first attempt at each
subscribed webhook) and "webhooks.deliver" (a delivery's later attempts), both in
``delivery``."""

from __future__ import annotations

from buena_server.queue import TaskRegistry
from buena_server.webhooks.delivery import deliver, fan_out
from buena_server.webhooks.fanout import FAN_OUT_TASK
from buena_server.webhooks.jobs import DELIVER_TASK


def register_tasks(registry: TaskRegistry) -> None:
    registry.register(FAN_OUT_TASK, fan_out)
    registry.register(DELIVER_TASK, deliver)
