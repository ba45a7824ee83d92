"""Hostile and random input in every URL parameter and filter (AppTest + hypothesis): no exception, and no
value echoed into the page as Markdown or HTML that would be interpreted (links, images, tags, directives).

Bounded and derandomised so that CI runs the same examples in well under a minute."""

from __future__ import annotations

import re

import pytest
from helpers import app_test
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import registry

MARK = "qmifuzz"
# Each carries MARK, so that what the page shows of it can be found.
HOSTILE = [
    f"<script>alert('{MARK}')</script>",
    f"<img src=x onerror=alert('{MARK}')>",
    f"<svg onload=alert('{MARK}')>",
    f"[{MARK}](javascript:alert(1))",
    f"![{MARK}](http://127.0.0.1:9/x.png)",
    f":red[{MARK}] :material/home:",
    f"$\\href{{javascript:alert(1)}}{{{MARK}}}$",
    f"'; DROP TABLE projects; -- {MARK}",
    f"\" onmouseover=\"alert('{MARK}')\" x=\"",
    f"{MARK}\n\n# titre\n<style>body{{display:none}}</style>",
    f"%3Cscript%3E{MARK}%3C/script%3E",
    f"{{v}} {{0}} %s %n {MARK}",
    f"\x00{MARK}\x00",
    f"**{MARK}** _x_ `code` <b>gras</b>",
    f"https://evil.example/{MARK}",
    MARK * 3000,  # very long
]
VALID = {
    "edition": ["1", "2", "all", ""],
    "commune": ["Meudon", "Sceaux", "92048", "noisy le grand"],
    "theme": ["economie-circulaire"],
    "status": ["deployed", "selected"],
    "lang": ["en", "fr"],
    "projet": ["faradae"],
    "present": ["0", ""],  # the slideshow itself is fuzzed below
    "interval": ["20", "2,5", "1e309", "nan", "-5"],
    "base": ["https://qmi.example.org/tdb", "javascript:alert(1)"],
}
REPEATED = ("commune", "theme", "status")
PAGES = list(registry.FILES)

no_surrogates = st.characters(exclude_categories=("Cs",))
random_text = st.text(alphabet=no_surrogates, max_size=40) | st.text(alphabet=no_surrogates, min_size=200, max_size=600)


def values_for(key: str):
    return st.sampled_from(HOSTILE) | st.sampled_from(VALID[key]) | random_text


def parameters(leave_out: tuple[str, ...] = ()):
    optional = {key: (st.lists(values_for(key), min_size=1, max_size=3) if key in REPEATED else values_for(key))
                for key in VALID if key not in leave_out}
    optional["inconnu"] = values_for("projet")  # a parameter the app does not read
    return st.fixed_dictionaries({}, optional=optional)


def bodies(node):
    """The Markdown of every element under `node` (alerts, markdown, captions, titles, metric labels)."""
    proto = getattr(node, "proto", None)
    for field in ("body", "label"):
        text = getattr(proto, field, None) if proto is not None else None
        if isinstance(text, str) and text:
            yield text
    for child in getattr(node, "children", {}).values():
        yield from bodies(child)


def check(at, params: dict) -> None:
    assert not at.exception, [e.value for e in at.exception]
    sent = [v for value in params.values() for v in (value if isinstance(value, list) else [value])]
    # Values Markdown would read something in: escaped, they cannot appear as they were sent.
    hostile = [v for v in sent if MARK in v and re.search(r"[<>\[\]()$:*_`&]", v)]
    texts = [text for root in (at.main, at.sidebar) for text in bodies(root)]
    for body in texts:
        for value in hostile:
            assert value not in body, (value, body)
        # Whatever the value: no tag, link or image built from it (escaped characters carry a backslash).
        assert not re.search(rf"(?<!\\)<(script|img|svg|b)\b[^>]*{MARK}|(?<!\\)!?\[{MARK}", body), body
    for frame in at.get("iframe"):  # the slideshow: HTML-escaped
        html = frame.proto.srcdoc
        assert not re.search(rf"<(script|img|svg)[^>]*{MARK}|<b>gras", html)


FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


@FUZZ
@given(params=parameters())
def test_url_parameters_on_the_entry_page(monkeypatch, reference_db_path, params):
    at = app_test(monkeypatch, reference_db_path, **params).run()
    check(at, params)


@settings(FUZZ, max_examples=14)
# Not lang: AppTest cannot serialise the edition selectbox across a page switch once its labels are English.
@given(params=parameters(leave_out=("lang",)),
       page=st.sampled_from([registry.page(name).file for name in ("projets", "presentation", "carte")]))
def test_url_parameters_then_a_page(monkeypatch, reference_db_path, params, page):
    at = app_test(monkeypatch, reference_db_path, **params).run()  # the URL is read through app.py
    check(at, params)
    at.switch_page(page).run()
    check(at, params)


@settings(FUZZ, max_examples=10)
@given(params=parameters())
def test_url_parameters_in_the_slideshow(monkeypatch, reference_db_path, params):
    at = app_test(monkeypatch, reference_db_path, **{**params, "present": "1"}).run()
    check(at, params)
    assert at.get("iframe"), "present=1 opens the slideshow"


@settings(FUZZ, max_examples=10)
@given(text=st.sampled_from(HOSTILE) | random_text)
def test_the_project_search_box(monkeypatch, reference_db_path, text):
    at = app_test(monkeypatch, reference_db_path).run()
    at.switch_page(registry.page("projets").file).run()
    at.text_input(key="project_search").set_value(text).run()
    check(at, {"search": text})


@pytest.mark.parametrize("page", PAGES)
def test_every_page_with_every_parameter_hostile(monkeypatch, reference_db_path, page):
    params = {key: list(HOSTILE[:3]) if key in REPEATED else HOSTILE[i % len(HOSTILE)]
              for i, key in enumerate([*VALID, "inconnu"]) if key != "lang"}  # lang: see above
    at = app_test(monkeypatch, reference_db_path, **params).run()
    check(at, params)
    notices = " ".join(i.value for i in at.info)
    assert r"\<img src\=x onerror\=alert\(\'qmifuzz\'\)\>" in notices or r"\<script\>" in notices, notices
    at.switch_page(page).run()
    check(at, params)

