"""Static images of the plotly figures, made offline by kaleido (headless Chromium).

One kaleido server per process, started on the first image (about 4 s), then about 0.3 s an image.
Images are cached by figure and size: a report and a deck of the same view draw each chart once.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import threading
from collections import OrderedDict

import plotly.graph_objects as go
import plotly.io as pio

CALL_TIMEOUT_SECONDS = 90.0  # a first image includes the browser's start
_CACHE_SIZE = 256

_lock = threading.Lock()
_state = {"started": False, "broken": None, "exit_hook": False}
_cache: OrderedDict[str, bytes] = OrderedDict()


class RenderUnavailable(RuntimeError):
    """No image can be made here (no Chromium, or the browser does not answer)."""


def browser_path() -> str | None:
    """The Chromium kaleido would use (/usr/bin/chromium on Debian), or None."""
    try:
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False)
    except Exception:  # choreographer missing or changed: let kaleido try
        return None


def _ensure_server() -> None:
    import kaleido

    if _state["broken"]:
        raise RenderUnavailable(_state["broken"])
    if _state["started"]:
        return
    if browser_path() is None:
        _state["broken"] = "Chromium introuvable / Chromium not found"
        raise RenderUnavailable(_state["broken"])
    # mathjax=False: the default fetches MathJax from a CDN, which an offline laptop cannot reach.
    kaleido.start_sync_server(silence_warnings=True, mathjax=False)
    _state["started"] = True


def shutdown() -> None:
    """Stop the kaleido server (and its browser) before the interpreter exits: left to the exit handlers,
    the browser's temporary profile can be removed while the browser still writes into it."""
    with _lock:
        if _state["started"]:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
            _state["started"] = False


def _call(fig: go.Figure, opts: dict) -> bytes:
    """kaleido's blocking call, with a time limit: a dead browser must not hang a report forever."""
    import kaleido

    box: dict = {}

    def work():
        try:
            box["data"] = kaleido.calc_fig_sync(fig, opts=opts)
        except BaseException as error:  # noqa: BLE001 (handed back to the caller)
            box["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(CALL_TIMEOUT_SECONDS)
    if worker.is_alive():
        _state["broken"] = "le navigateur ne répond pas / the browser does not answer"
        raise RenderUnavailable(_state["broken"])
    if "error" in box:
        raise RenderUnavailable(f"{type(box['error']).__name__}: {box['error']}") from box["error"]
    return box["data"]


def figure_png(fig: go.Figure | dict, width: int = 900, height: int | None = None, scale: float = 1.6) -> bytes:
    """The figure (a go.Figure or its dict) as a PNG of width × height CSS pixels, × scale for print
    sharpness (900 px × 1.6 over 17 cm is about 220 dpi).

    Raises RenderUnavailable when no browser can draw it: callers say so in words instead of an image."""
    spec = fig if isinstance(fig, dict) else fig.to_dict()
    height = int(height or spec.get("layout", {}).get("height") or 450)
    text = pio.to_json(spec, validate=False)
    key = hashlib.sha256(f"{text}|{width}|{height}|{scale}".encode()).hexdigest()
    with _lock:  # one kaleido server, one image at a time
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        _ensure_server()
        data = _call(spec, {"format": "png", "width": width, "height": height, "scale": scale})
        if not _state["exit_hook"]:
            # Registered after the first image, when the browser's temporary profile (and the exit hook that
            # removes it) exist: exit hooks run last-registered first, so the browser closes before.
            atexit.register(shutdown)
            _state["exit_hook"] = True
        _cache[key] = data
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return data


def data_uri(png: bytes) -> str:
    """An image inline in HTML: the page stays one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
