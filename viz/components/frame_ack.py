"""Back-pressure for Play: the browser reports each quarter it has drawn.

Without it the server would step as fast as it can and queue chart updates faster than a
slow browser draws them: the page would lag behind the model and Pause would stop quarters
after the one on screen. :class:`FrameAck` is an invisible widget whose ``version`` the server
sets with every redraw; in the browser it waits for the next animation frame (after the charts
updated in the same message batch have been drawn) and sends the version back.
:class:`FramePacer` lets the Play loop wait for that acknowledgement, with a timeout so a
hidden tab (which draws no frames) only slows Play down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ipyvuetify
import solara
import traitlets

TEMPLATE = """
<template>
  <span class="aimarket-frame-ack" style="display: none">{{ version }}</span>
</template>
<script>
module.exports = {
  watch: {
    version(value) {
      window.requestAnimationFrame(() => this.drawn(value));
    },
  },
};
</script>
"""


class FrameAckWidget(ipyvuetify.VuetifyTemplate):
    """Echoes ``version`` back to Python once the browser has drawn a frame after it."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)
    on_drawn = traitlets.Callable(None, allow_none=True)

    def vue_drawn(self, data: Any) -> None:
        if self.on_drawn is not None:
            try:
                self.on_drawn(int(data))
            except (TypeError, ValueError):
                return


class FramePacer:
    """The latest version the browser has drawn, and a way to wait for it."""

    def __init__(self) -> None:
        self._drawn = -1
        self._changed = threading.Condition()

    def drawn(self, version: int) -> None:
        """Called when the browser reports a drawn version."""
        with self._changed:
            self._drawn = max(self._drawn, version)
            self._changed.notify_all()

    def wait_for(self, version: int, timeout: float) -> bool:
        """Block until ``version`` is drawn or ``timeout`` seconds pass; True if drawn."""
        with self._changed:
            return self._changed.wait_for(lambda: self._drawn >= version, timeout=timeout)


@solara.component
def FrameAck(version: int, on_drawn: Callable[[int], None]) -> solara.Element:
    """Place once per page, after the views, so it updates after them."""
    return FrameAckWidget.element(version=version, on_drawn=on_drawn)
