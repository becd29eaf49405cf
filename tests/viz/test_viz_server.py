"""``aimarket app``: loopback by default, offline assets, bad arguments refused."""

from __future__ import annotations

import argparse

from experiments.cli import build_parser
from viz import server


def test_app_listens_on_loopback_port_8765_by_default():
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    assert server.is_loopback(args.host)
    assert server.is_loopback("localhost") and server.is_loopback("::1")
    assert not server.is_loopback("0.0.0.0")


def test_front_end_assets_are_served_from_the_local_copy(monkeypatch):
    import solara.server.settings as settings
    import solara.settings

    # Let monkeypatch restore what configure_solara changes in this test process.
    for key, value in server.SOLARA_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(solara.settings.assets, "proxy", solara.settings.assets.proxy)
    for section, name in (
        (settings.telemetry, "mixpanel_enable"),
        (settings.main, "mode"),
        (settings.theme, "show_banner"),
        (settings.theme, "title"),
    ):
        monkeypatch.setattr(section, name, getattr(section, name))
    asset_dir = server.configure_solara()
    assert solara.settings.assets.proxy  # the page loads /_solara/cdn/... from this server
    assert not settings.telemetry.mixpanel_enable
    assert server.missing_assets(asset_dir) == []


def test_missing_assets_are_named(tmp_path):
    assert server.missing_assets(tmp_path) == list(server.REQUIRED_ASSETS)


def test_a_port_out_of_range_is_refused_before_serving(capsys):
    assert server.main(argparse.Namespace(host="127.0.0.1", port=70000)) == 2
    assert "--port 70000" in capsys.readouterr().err
