"""The event mode's slides as one self-contained HTML document: inline CSS, inline SVG (bars, map, QR
code) and a small script that shows one slide at a time, advances on a timer, by keyboard and by
buttons, and loops. Nothing is loaded from the network: it plays on a laptop without internet.

Sizes are in a unit `--u` (1 % of a 16:9 stage that fits the window), so the slides keep their layout on
any projector; the headline numbers are 8.4 u and the body text 1.45 u (5.8 times smaller).
"""

from __future__ import annotations

from dataclasses import replace

from qmi_metrics.outputs.deck import Deck, Slide
from qmi_metrics.outputs.graphics import FULLSCREEN_ICON, bars, esc, map_block, numbers, qr_svg
from qmi_metrics.present.i18n import _

FRAME_TITLE = "Diaporama QMI"  # the frame's accessible name, and how the page's CSS finds it

# For the Streamlit page around the slideshow: no sidebar, header or toolbar; the frame covers the window.
HOST_PAGE_CSS = f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarCollapseButton"], [data-testid="stSidebarNav"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] {{ display: none !important; }}
[data-testid="stMain"] {{ overflow: hidden !important; }}
iframe[title="{FRAME_TITLE}"] {{ position: fixed !important; inset: 0 !important; width: 100vw !important;
  height: 100vh !important; z-index: 999990; border: 0; background: #ffffff; }}
</style>"""

CSS = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; overflow: hidden; background: #ffffff; }
body { --u: min(1vw, 1.7778vh); display: flex; align-items: center; justify-content: center; color: #111827;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif; }
body.dark { background: #0b1f3a; }
.stage { position: relative; width: calc(100 * var(--u)); height: calc(56.25 * var(--u)); overflow: hidden;
  font-size: calc(1.45 * var(--u)); line-height: 1.3; }
.slide { position: absolute; inset: 0; display: flex; flex-direction: column; background: #ffffff;
  padding: calc(2.4 * var(--u)) calc(3.4 * var(--u)) calc(4.4 * var(--u)); }
.slide[hidden] { display: none; }
@media (prefers-reduced-motion: no-preference) { .slide.active { animation: appear .35s ease-out; } }
@keyframes appear { from { opacity: 0; } to { opacity: 1; } }
.slide h2 { margin: 0; padding-right: calc(22 * var(--u)); font-size: calc(3.2 * var(--u)); line-height: 1.1;
  font-weight: 800; color: #0b1f3a; }
.subtitle { margin: calc(.5 * var(--u)) 0 0; font-size: calc(1.6 * var(--u)); color: #374151; }
.content { flex: 1; min-height: 0; display: flex; align-items: center; justify-content: center;
  margin-top: calc(1.4 * var(--u)); }
.notes { margin: calc(.8 * var(--u)) 0 0; padding: 0; list-style: none; color: #111827; }
.notes li + li { margin-top: calc(.3 * var(--u)); }
.sources { margin: calc(.5 * var(--u)) 0 0; font-size: calc(1.05 * var(--u)); color: #374151; }
.synthetic { position: absolute; top: calc(1 * var(--u)); right: calc(1.2 * var(--u)); z-index: 2;
  background: #F0E442; color: #000000; border: calc(.18 * var(--u)) solid #000000; font-weight: 800;
  font-size: calc(1.3 * var(--u)); letter-spacing: .04em; padding: calc(.3 * var(--u)) calc(.9 * var(--u)); }
/* big numbers */
.numbers { display: grid; gap: calc(2.5 * var(--u)); width: 100%; align-items: start; }
.figure { text-align: center; min-width: 0; }
.figure .label { font-size: calc(1.9 * var(--u)); font-weight: 700; color: #0b1f3a; min-height: 3.9em;
  display: flex; align-items: flex-end; justify-content: center; }
.figure .label:empty { min-height: 0; }
.figure .qualifier { font-size: calc(1.9 * var(--u)); color: #374151; height: 1.3em; }
.num { font-size: calc(8.4 * var(--u)); font-weight: 800; line-height: 1; color: #0b1f3a; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.unit { font-size: calc(2.6 * var(--u)); font-weight: 600; color: #0b1f3a; min-height: 1.25em; }
.figure .note { font-size: calc(1.15 * var(--u)); color: #374151; margin-top: calc(.6 * var(--u)); }
.figure .source { font-size: calc(1.05 * var(--u)); color: #374151; margin-top: calc(.3 * var(--u)); }
/* bars */
.bars { width: 100%; display: grid; row-gap: calc(.9 * var(--u)); }
.bar-row { display: grid; grid-template-columns: 37% 11% 1fr; column-gap: calc(1.4 * var(--u)); align-items: center; }
.bar-row .what { text-align: right; font-weight: 700; font-size: calc(1.6 * var(--u)); line-height: 1.15; }
.bar-row .what small { display: block; font-weight: 400; font-size: calc(1.1 * var(--u)); color: #374151; }
.bar-row .value { font-weight: 800; font-size: calc(2.6 * var(--u)); color: #0b1f3a; white-space: nowrap; }
.track { height: calc(3 * var(--u)); display: flex; }
.funnel .track { justify-content: center; }
.bar { height: 100%; min-width: calc(.4 * var(--u)); background: #0072B2; border: calc(.15 * var(--u)) solid #0b1f3a; }
.bar.published { background: repeating-linear-gradient(135deg, #0072B2 0 calc(.7 * var(--u)), #ffffff calc(.7 * var(--u)) calc(1.1 * var(--u))); }
.bar.partial { background: #56B4E9; border-style: dashed; }
/* map */
.map { display: grid; grid-template-columns: 64% 1fr; gap: calc(2 * var(--u)); width: 100%; height: 100%; align-items: center; }
.map svg { width: 100%; height: 100%; }
.legend { list-style: none; margin: 0; padding: 0; }
.legend li { display: flex; align-items: center; gap: calc(.8 * var(--u)); margin-bottom: calc(.8 * var(--u)); }
.legend svg { width: calc(2.6 * var(--u)); height: calc(2.6 * var(--u)); flex: none; }
/* commune */
.commune { display: grid; grid-template-columns: 24% 1fr; gap: calc(2.5 * var(--u)); width: 100%; align-items: center; }
/* findings: the three counts in a row above the differing figures */
.findings { display: grid; grid-template-rows: auto 1fr; gap: calc(2 * var(--u)); width: 100%; }
.findings .num { font-size: calc(5 * var(--u)); }
.findings td { white-space: normal; }
table { border-collapse: collapse; width: 100%; font-size: calc(1.55 * var(--u)); }
th { text-align: left; font-size: calc(1.2 * var(--u)); text-transform: uppercase; letter-spacing: .05em; color: #374151;
  border-bottom: calc(.2 * var(--u)) solid #0b1f3a; padding: calc(.3 * var(--u)) calc(.6 * var(--u)); }
td { padding: calc(.45 * var(--u)) calc(.6 * var(--u)); border-bottom: 1px solid #9ca3af; vertical-align: middle; }
td:first-child { font-weight: 700; }
td.type { font-size: calc(1.25 * var(--u)); }
/* QR */
.qr { display: grid; grid-template-columns: auto 1fr; gap: calc(3 * var(--u)); align-items: center; width: 100%; height: 100%; }
.qr svg { height: calc(36 * var(--u)); width: calc(36 * var(--u)); }
.qr .link { font-size: calc(1.6 * var(--u)); font-weight: 700; word-break: break-all; color: #0b1f3a; }
/* title and empty slides */
.slide.kind-title { background: #0b1f3a; color: #ffffff; justify-content: center; }
.slide.kind-title h1 { margin: 0; font-size: calc(5 * var(--u)); line-height: 1.05; font-weight: 800; max-width: 80%; }
.slide.kind-title .subtitle { color: #ffffff; font-size: calc(2 * var(--u)); margin-top: calc(1.2 * var(--u)); }
.slide.kind-title .scope { font-size: calc(3 * var(--u)); font-weight: 700; margin-top: calc(3 * var(--u)); color: #F0E442; }
.slide.kind-title .hint { position: absolute; left: calc(3.4 * var(--u)); bottom: calc(4.6 * var(--u)); font-size: calc(1.2 * var(--u)); }
.notice { background: #F0E442; color: #000000; padding: calc(.6 * var(--u)) calc(1 * var(--u)); margin-top: calc(1.5 * var(--u));
  font-weight: 600; max-width: 85%; }
.empty-message { font-size: calc(2.6 * var(--u)); font-weight: 700; color: #0b1f3a; text-align: center; max-width: 80%; }
/* controls */
.controls { position: absolute; left: 0; right: 0; bottom: 0; height: calc(3.6 * var(--u)); z-index: 3;
  display: flex; align-items: center; justify-content: flex-end; gap: calc(.6 * var(--u));
  padding: 0 calc(1.4 * var(--u)); font-size: calc(1.2 * var(--u)); }
.controls .counter { color: #374151; font-variant-numeric: tabular-nums; }
.controls .published { margin-right: auto; color: #374151; font-size: calc(1 * var(--u)); }
body.dark .controls .counter, body.dark .controls .published { color: #ffffff; }
.controls button { font: inherit; font-weight: 700; min-width: calc(3.2 * var(--u)); height: calc(2.6 * var(--u));
  padding: 0 calc(.8 * var(--u)); color: #ffffff; background: #0b1f3a; border: calc(.12 * var(--u)) solid #ffffff;
  border-radius: calc(.4 * var(--u)); cursor: pointer; }
.controls button:focus-visible { outline: calc(.3 * var(--u)) solid #E69F00; outline-offset: 2px; }
.progress { position: absolute; left: 0; bottom: 0; height: calc(.35 * var(--u)); width: 0; background: #E69F00; z-index: 4; }
.progress.run { animation: grow linear forwards; }
.progress.paused { animation-play-state: paused; }
@keyframes grow { from { width: 0; } to { width: 100%; } }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
/* long data text (names of hundreds of characters, unbroken words): breaks anywhere, titles and cells cut to a few
   lines with an ellipsis; the whole text stays in the page for screen readers */
.stage { overflow-wrap: anywhere; }
.slide h2, .slide.kind-title h1, .subtitle, .scope, .cell, .notes li, .legend li span {
  display: -webkit-box; -webkit-box-orient: vertical; overflow: hidden; }
.slide h2, .subtitle, .cell { -webkit-line-clamp: 2; }
.slide.kind-title h1, .scope, .notes li, .legend li span { -webkit-line-clamp: 3; }
"""

# Shows one slide at a time; timer, keyboard (in the frame and in the page around it) and buttons; loops.
SCRIPT = """
(function () {
  const slides = Array.from(document.querySelectorAll('.slide'));
  const interval = Number(document.body.dataset.intervalMs) || 15000;
  const counter = document.querySelector('.counter');
  const progress = document.querySelector('.progress');
  const pauseButton = document.getElementById('pause');
  let current = 0, timer = null, paused = false;

  function fit(slide) {
    // A number wider than its column is shrunk (rare: very large values); nothing may overflow.
    slide.querySelectorAll('.num').forEach(function (el) {
      el.style.fontSize = '';
      let size = parseFloat(getComputedStyle(el).fontSize);
      const floor = size * 0.55;
      while (el.scrollWidth > el.clientWidth + 1 && size > floor) { size *= 0.93; el.style.fontSize = size + 'px'; }
    });
    const content = slide.querySelector('.content');
    if (content) {
      content.style.zoom = '';
      let zoom = 1;
      while ((content.scrollHeight > content.clientHeight + 1 || content.scrollWidth > content.clientWidth + 1) && zoom > 0.6) {
        zoom -= 0.05; content.style.zoom = zoom;
      }
    }
  }
  function restartTimer() {
    clearTimeout(timer);
    progress.classList.remove('run');
    void progress.offsetWidth;  // restarts the bar's animation
    progress.style.animationDuration = interval + 'ms';
    progress.classList.add('run');
    progress.classList.toggle('paused', paused);
    if (!paused) { timer = setTimeout(function () { show(current + 1); }, interval); }
  }
  function show(index) {
    current = (index + slides.length) % slides.length;  // loops after the last slide
    slides.forEach(function (slide, i) { slide.hidden = i !== current; slide.classList.toggle('active', i === current); });
    document.body.classList.toggle('dark', slides[current].classList.contains('kind-title'));
    counter.textContent = (current + 1) + ' / ' + slides.length;
    fit(slides[current]);
    restartTimer();
  }
  function togglePause() {
    paused = !paused;
    pauseButton.textContent = paused ? '▶' : '❚❚';
    pauseButton.setAttribute('aria-label', paused ? pauseButton.dataset.play : pauseButton.dataset.pause);
    restartTimer();
  }
  function fullScreen() {
    try {
      const root = window.parent.document.documentElement;
      if (window.parent.document.fullscreenElement) { window.parent.document.exitFullscreen(); } else { root.requestFullscreen(); }
    } catch (e) { document.documentElement.requestFullscreen && document.documentElement.requestFullscreen(); }
  }
  function leave() {
    // Back to the dashboard with the same filters (the page around this frame knows its own address).
    try {
      const url = new URL(window.parent.location.href);
      url.searchParams.delete('present'); url.searchParams.delete('interval');
      url.pathname = url.pathname.replace(/presentation\\/?$/, '');
      // The frame's sandbox forbids navigating the page; a link of the page itself may.
      const link = window.parent.document.createElement('a');
      link.href = url.toString();
      window.parent.document.body.appendChild(link);
      link.click();
    } catch (e) { /* a frame without access to its parent: nothing to leave */ }
  }
  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    const key = event.key;
    if (key === 'ArrowRight' || key === ' ' || key === 'Spacebar' || key === 'PageDown' || key === 'Enter') { show(current + 1); }
    else if (key === 'ArrowLeft' || key === 'PageUp' || key === 'Backspace') { show(current - 1); }
    else if (key === 'Home') { show(0); }
    else if (key === 'End') { show(slides.length - 1); }
    else if (key === 'p' || key === 'P') { togglePause(); }
    else if (key === 'f' || key === 'F') { fullScreen(); }
    else { return; }
    event.preventDefault();
  }
  document.getElementById('previous').addEventListener('click', function () { show(current - 1); });
  document.getElementById('next').addEventListener('click', function () { show(current + 1); });
  pauseButton.addEventListener('click', togglePause);
  document.getElementById('fullscreen').addEventListener('click', fullScreen);
  document.getElementById('leave').addEventListener('click', leave);
  document.addEventListener('keydown', onKey);
  try {
    // Keys pressed while the page around the frame has the focus; one listener, replaced on each render.
    const host = window.parent;
    if (host !== window) {
      const onHostKey = function (event) {
        // Once the slideshow has left the page (back to another page of the app), the page's keys are its own again.
        let here = false;
        try { here = Boolean(window.frameElement && window.frameElement.isConnected); } catch (e) { here = false; }
        if (!here) { host.document.removeEventListener('keydown', onHostKey); return; }
        onKey(event);
      };
      if (host.__qmiSlideshowKeys) { host.document.removeEventListener('keydown', host.__qmiSlideshowKeys); }
      host.__qmiSlideshowKeys = onHostKey;
      host.document.addEventListener('keydown', onHostKey);
    }
  } catch (e) { /* another origin: the frame's own listener is enough */ }
  window.addEventListener('resize', function () { fit(slides[current]); });
  show(0);
  window.focus();
})();
"""


# --- pieces ----------------------------------------------------------------------------------------

def _notes(slide: Slide) -> str:
    notes = "".join(f"<li>{esc(n)}</li>" for n in slide.notes)
    sources = "".join(f"<p class='sources'>{esc(s)}</p>" for s in slide.sources)
    return (f"<ul class='notes'>{notes}</ul>" if notes else "") + sources


# --- slides ------------------------------------------------------------------------------------------

def _title(slide: Slide, lang: str) -> str:
    scope = slide.rows[0][0] if slide.rows else ""
    notices = "".join(f"<p class='notice' role='status'>{esc(n)}</p>" for n in slide.notes)
    hint = _(lang, "→ ou Espace : suivante · ← : précédente · Début : première · P : pause · F : plein écran")
    return (f"<h1>{esc(slide.title)}</h1><p class='subtitle'>{esc(slide.subtitle)}</p>"
            f"<p class='scope'>{esc(scope)}</p>{notices}<p class='hint'>{esc(hint)}</p>")


def _header(slide: Slide) -> str:
    subtitle = f"<p class='subtitle'>{esc(slide.subtitle)}</p>" if slide.subtitle else ""
    return f"<h2>{esc(slide.title)}</h2>{subtitle}"


def _body(slide: Slide, lang: str) -> str:
    if slide.kind == "title":
        return _title(slide, lang)
    if slide.kind == "map":
        return _header(slide) + f"<div class='content'>{map_block(slide, lang)}</div>" + "".join(f"<p class='sources'>{esc(s)}</p>" for s in slide.sources)
    if slide.kind in ("kpis", "community", "funnel", "themes") and not (slide.numbers or slide.bars):
        # Nothing to draw: the first note says why, in large type.
        rest = replace(slide, notes=slide.notes[1:])
        return (f"{_header(slide)}<div class='content'><p class='empty-message'>{esc(slide.notes[0] if slide.notes else '')}"
                f"</p></div>{_notes(rest)}")
    if slide.kind in ("kpis", "community"):
        notes = "".join(f"<li>{esc(n)}</li>" for n in slide.notes)  # sources: under each number
        return f"{_header(slide)}<div class='content'>{numbers(slide)}</div>" + (f"<ul class='notes'>{notes}</ul>" if notes else "")
    if slide.kind in ("funnel", "themes"):
        return f"{_header(slide)}<div class='content'>{bars(slide, funnel=slide.kind == 'funnel')}</div>{_notes(slide)}"
    if slide.kind in ("commune", "findings") and not slide.rows and not slide.numbers:
        return f"{_header(slide)}<div class='content'><p class='empty-message'>{esc(' '.join(slide.notes))}</p></div>"
    if slide.kind in ("commune", "findings"):
        smaller = 1 if slide.kind == "commune" else None  # a project's type: long, read second
        rows = "".join("<tr>" + "".join(f"<td{' class=type' if i == smaller else ''}><span class='cell'>{esc(cell)}</span></td>" for i, cell in enumerate(row))
                       + "</tr>" for row in slide.rows)
        table = (f"<table><thead><tr>{''.join(f'<th scope=col>{esc(c)}</th>' for c in slide.columns)}</tr></thead>"
                 f"<tbody>{rows}</tbody></table>") if slide.rows else ""
        return (f"{_header(slide)}<div class='content'><div class='{slide.kind}'>{numbers(slide, with_sources=False)}"
                f"<div>{table}</div></div></div>{_notes(slide)}")
    if slide.kind == "qr":
        code = qr_svg(slide.link, _(lang, "Code QR du tableau de bord"))
        notes = "".join(f"<li>{esc(n)}</li>" for n in slide.notes)
        return (f"{_header(slide)}<div class='content'><div class='qr'>{code}<div><p class='link'>{esc(slide.link)}</p>"
                f"<ul class='notes'>{notes}</ul></div></div></div>")
    # empty (and any future kind): the message in large type
    return (f"{_header(slide)}<div class='content'><p class='empty-message'>{esc(' '.join(slide.notes))}</p></div>")


def render(deck: Deck, interval_seconds: float) -> str:
    """The whole slideshow as one HTML document."""
    lang = deck.lang
    mark = (f"<div class='synthetic' role='note'>{esc(_(lang, 'DONNÉES SYNTHÉTIQUES'))}</div>"
            if deck.synthetic else "")
    sections = []
    for index, slide in enumerate(deck.slides):
        hidden = "" if index == 0 else " hidden"
        sections.append(
            f"<section class='slide kind-{esc(slide.kind)}' data-kind='{esc(slide.kind)}' data-title='{esc(slide.title)}' "
            f"aria-roledescription='{esc(_(lang, 'diapositive'))}' aria-label='{esc(slide.title)}'{hidden}>"
            f"{mark}{_body(slide, lang)}</section>")
    labels = {
        "previous": _(lang, "Diapositive précédente"),
        "pause": _(lang, "Mettre en pause"), "play": _(lang, "Reprendre le défilement"),
        "next": _(lang, "Diapositive suivante"),
        "fullscreen": _(lang, "Plein écran"),
        "leave": _(lang, "Quitter la présentation"),
    }
    controls = (
        "<nav class='controls' aria-label='" + esc(_(lang, "Diaporama")) + "'>"
        "<span class='counter' aria-live='off'></span>"
        f"<span class='published'>{esc(deck.published)}</span>"
        f"<button id='previous' type='button' aria-label='{esc(labels['previous'])}'>◀</button>"
        f"<button id='pause' type='button' aria-label='{esc(labels['pause'])}' data-pause='{esc(labels['pause'])}' "
        f"data-play='{esc(labels['play'])}'>❚❚</button>"
        f"<button id='next' type='button' aria-label='{esc(labels['next'])}'>▶</button>"
        f"<button id='fullscreen' type='button' aria-label='{esc(labels['fullscreen'])}'>{FULLSCREEN_ICON}</button>"
        f"<button id='leave' type='button' aria-label='{esc(labels['leave'])}'>✕ {esc(_(lang, 'Quitter'))}</button>"
        "</nav><div class='progress'></div>")
    return (f"<!DOCTYPE html><html lang='{esc(lang)}'><head><meta charset='utf-8'>"
            f"<title>{esc(deck.slides[0].title if deck.slides else '')}</title><style>{CSS}</style></head>"
            f"<body data-interval-ms='{int(round(interval_seconds * 1000))}'><main class='stage'>{''.join(sections)}"
            f"{controls}</main><script>{SCRIPT}</script></body></html>")
