"""Serving the browser app: ``aimarket app [--host 127.0.0.1] [--port 8765]``.

Runs a real Solara server (Starlette under uvicorn) for :mod:`viz.app`, configured to work with
no internet:

- Solara's front-end assets (Vue/Vuetify bundle, require.js, ECharts, fonts) are served from
  the local copy that the ``solara-assets`` package installs under
  ``<prefix>/share/solara/cdn`` (Solara's asset-proxy cache directory), never from a CDN;
- telemetry and the version check that would call out to the internet are off;
- production mode (no hot reload, no "solara.dev" check frame).

Each browser session gets its own kernel, hence its own model (see :mod:`viz.state`).
Sessions left disconnected are culled after an hour (``SOLARA_KERNEL_CULL_TIMEOUT``).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import warnings
from pathlib import Path

APP_MODULE = "viz.app"
REQUIRED_ASSETS: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js",
    "requirejs@2.3.6/require.js",
    "echarts@5.4.0/dist/echarts.js",
    "font-awesome@4.5.0/css/font-awesome.min.css",
)
"""Files the page loads from the asset directory; all ship with ``solara-assets``."""

SOLARA_ENV: dict[str, str] = {
    "SOLARA_APP": APP_MODULE,
    "SOLARA_MODE": "production",
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_THEME_SHOW_BANNER": "False",
    "SOLARA_THEME_TITLE": "aimarket",
    "SOLARA_KERNEL_CULL_TIMEOUT": "1h",
}
"""Environment read by Solara's settings at import (a value the user already set wins)."""


def configure_solara() -> Path:
    """Point Solara at the local assets and switch off everything that needs the internet.

    Must run before ``solara.server`` is imported by the server; it also patches the settings
    objects in case they were imported already (tests). Returns the asset directory.
    """
    for key, value in SOLARA_ENV.items():
        os.environ.setdefault(key, value)
    import solara.server.settings as server_settings
    import solara.settings

    solara.settings.assets.proxy = True
    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
    server_settings.theme.show_banner = False
    server_settings.theme.title = "aimarket"
    return Path(server_settings.assets.proxy_cache_dir)


def missing_assets(asset_dir: Path) -> list[str]:
    """Front-end files the page needs that are not in the local asset directory."""
    return [name for name in REQUIRED_ASSETS if not (asset_dir / name).is_file()]


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(args: argparse.Namespace) -> int:
    """Serve the app on ``args.host:args.port`` until interrupted; returns the exit status."""
    port = int(args.port)
    if not 0 < port < 65536:
        print(f"aimarket app: --port {port}: must be from 1 to 65535", file=sys.stderr)
        return 2
    asset_dir = configure_solara()
    missing = missing_assets(asset_dir)
    if missing:
        print(
            f"aimarket app: front-end assets missing from {asset_dir}: {', '.join(missing)}.\n"
            "  Without them the page needs the internet to render. Install them with\n"
            "  'pip install solara-assets==1.58.2' (scripts/bootstrap does).",
            file=sys.stderr,
        )
    import uvicorn

    # Solara warns on every page load that SameSite=None cookies need https; that matters
    # only when the app is embedded in an iframe of another site, which it is not.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    if not is_loopback(args.host):
        print(
            f"aimarket app: listening on {args.host}, reachable from other machines. The app "
            "runs no user code, but anyone who can reach it can run simulations.",
            file=sys.stderr,
        )
    print(f"aimarket app: serving on http://{args.host}:{port}/ (Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(
        "solara.server.starlette:app",
        host=args.host,
        port=port,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()
    return 0
