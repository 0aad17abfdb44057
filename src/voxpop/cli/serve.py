"""``voxpop serve``: the web app and the REST API, under uvicorn."""

from __future__ import annotations

import logging
import threading

import typer
import uvicorn

from voxpop.cli import app
from voxpop.cli.common import load_settings
from voxpop.settings import Settings

log = logging.getLogger("uvicorn.error")


def _catch_up(settings: Settings) -> None:
    """Analyse what is pending or stale (another taxonomy) while the server already answers."""
    from voxpop.store import Store
    from voxpop.workers.analysis import catch_up

    store = Store(settings)
    try:
        done = catch_up(store)
        if done:
            log.info("voxpop: analysed %d pending or stale items", done)
    except Exception:
        log.exception("voxpop: catching up on analysis failed; `voxpop reanalyze` retries it")
    finally:
        store.dispose()


def run_server(settings: Settings, *, host: str | None = None, port: int | None = None, reload: bool = False) -> None:
    """Serve until interrupted. With ``reload`` the app is rebuilt from the environment on code changes."""
    host = host or settings.host
    port = port or settings.port
    if reload:
        uvicorn.run("voxpop.web.app:create_app", factory=True, host=host, port=port, reload=True)
        return
    from voxpop.web.app import create_app

    web_app = create_app(settings)  # migrates the store first, so the threads below find it current
    if settings.analyze_on_ingest:
        threading.Thread(target=_catch_up, args=(settings,), name="voxpop-catch-up", daemon=True).start()
    from voxpop.act.alerts.tasks import start_periodic

    start_periodic(settings)  # window alert rules and delivery retries, every alerts_interval_seconds
    from voxpop.ingest.live.scheduler import start_poller

    start_poller(settings)  # live sources: poll what is due, with back-off (docs/sources.md)
    if settings.analyze_on_ingest:
        from voxpop.analyze.store_topics import start_periodic as start_topics

        start_topics(settings)  # store-wide topics: new items placed, a full re-cluster weekly
    from voxpop.measure.personas import start_periodic as start_personas

    start_personas(settings)  # personas refitted in the background when the data changed (not on page views)
    uvicorn.run(web_app, host=host, port=port, proxy_headers=False, server_header=False)


@app.command("serve")
def serve(
    host: str | None = typer.Option(None, help="Interface to listen on (default: settings.host)."),
    port: int | None = typer.Option(None, help="Port (default: settings.port)."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Start the web app: inbox pages and the REST API under /api/v1."""
    run_server(load_settings(), host=host, port=port, reload=reload)
