"""What the running bot knows about itself, for ``/healthz`` and ``/metrics``
(``digestbot.services.monitor``): its update loop, the scheduler lock and the last push
tick, its delivery engine, its flood control."""

from __future__ import annotations

import time

from digestbot.bot.context import BotApp
from digestbot.services.health import ProcessState, SchedulerState, UpdateMode, UpdatesState


def process_state(app: BotApp) -> ProcessState:
    data = app.bot_data
    now = time.monotonic()
    settings = data.settings
    mode = UpdateMode.WEBHOOK if settings.webhook_url else UpdateMode.POLLING
    running = app.running and app.updater is not None and app.updater.running
    age = None if data.last_update_at is None else now - data.last_update_at
    runtime = data.runtime
    # long polling follows the scheduler's lead (digestbot.bot.app._start_updates)
    standby = mode is UpdateMode.POLLING and runtime is not None and not runtime.jobs_installed
    updates = UpdatesState(mode, running, age, standby)
    scheduler = SchedulerState(leader=False, tick_age=None, ticked=False)
    if runtime is not None and runtime.jobs_installed and runtime.leading_since is not None:
        tick = runtime.last_tick_at
        ticked = tick is not None and tick >= runtime.leading_since
        since = tick if ticked and tick is not None else runtime.leading_since
        scheduler = SchedulerState(leader=True, tick_age=now - since, ticked=ticked)
    return ProcessState(
        role="bot",
        engine=runtime.engine.stats if runtime is not None else None,
        updates=updates,
        scheduler=scheduler,
        throttled=data.throttle.refused if data.throttle is not None else 0,
    )
