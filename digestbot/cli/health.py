"""``digestbot healthcheck``: ask the running process's ``/healthz`` (Docker's
HEALTHCHECK runs it inside the container: python:3.11-slim has no curl)."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Annotated

import typer

from digestbot.cli.app import app, err, out, settings_or_exit
from digestbot.config import Settings

_ANY_ADDRESS = ("", "0.0.0.0", "::")  # noqa: S104 - compared with, not bound to


def healthz_url(settings: Settings) -> str | None:
    """Where this machine reaches the process's ``/healthz`` (None: not served)."""
    if not settings.metrics_port:
        return None
    host = settings.metrics_listen
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.metrics_port}/healthz"


def probe(url: str, timeout: float) -> tuple[int, str]:
    """The status and body of a GET of ``url``; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - http only
            return int(answer.status), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return 0, f"no answer from {url}: {reason}"


@app.command()
def healthcheck(
    timeout: Annotated[float, typer.Option(help="seconds to wait for the answer")] = 5.0,
) -> None:
    """Ask the running bot (or delivery worker) on this machine whether it is ready
    (GET /healthz on DIGESTBOT_METRICS_PORT); exit 0 when ready, 1 otherwise."""
    settings = settings_or_exit()
    url = healthz_url(settings)
    if url is None:
        err.print("not checked: DIGESTBOT_METRICS_PORT is not set, so /healthz is not served")
        raise typer.Exit(1)
    status, body = probe(url, timeout)
    (out if status == 200 else err).print(body, highlight=False, markup=False)
    if status != 200:
        raise typer.Exit(1)
