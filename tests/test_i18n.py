"""The catalogues (locales/<lang>/LC_MESSAGES/messages.po) against the code, languages added by a file,
Babel's formatting in French and English, tools/i18n_migrate.py on a small tree of its own, and no French/English
pair left in the code (tables hold msgids; contexts for a French text with two translations)."""

import ast
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from babel.messages import pofile

from dashboard import registry
from qmi_metrics.present import cards, formatting, i18n, narratives, vocabulary
from qmi_metrics.present.i18n import _, _n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import i18n_migrate  # noqa: E402  (a script of tools/, not a package)

NNBSP, NBSP = "\u202f", "\u00a0"


# --- the catalogues against the code -----------------------------------------------------------------------------

def code_messages(root: Path) -> dict:
    """msgid (a tuple for a plural) -> where the code uses it, as babel.messages.extract finds it through babel.cfg."""
    found = {}
    for filename, lineno, message in i18n_migrate.extract(root, i18n.KEYWORDS):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@pytest.mark.parametrize("lang", [code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE])
def test_catalogue_has_every_message_of_the_code_and_nothing_else(lang):
    path = i18n.catalogue_path(lang)
    assert path.exists(), f"{path}: every language of i18n.LANGUAGES but French needs its catalogue"
    with path.open("rb") as po:
        catalogue = pofile.read_po(po, locale=lang)
    translated = {m.id for m in catalogue if m.id and not m.fuzzy
                  and all(m.string if isinstance(m.string, (list, tuple)) else [m.string])}
    in_catalogue = {m.id for m in catalogue if m.id}
    used = code_messages(ROOT)
    missing = {m: places for m, places in used.items() if m not in translated}
    obsolete = in_catalogue - set(used)
    assert not missing, f"{path.relative_to(ROOT)} lacks (or leaves empty) the translation of {missing}"
    assert not obsolete, f"{path.relative_to(ROOT)} has entries the code no longer uses: {obsolete}"
    assert ("{n}\u00a0personne", "{n}\u00a0personnes") in used and "été" in used  # the extraction sees formatting's words


def test_no_compiled_catalogue_is_committed():
    assert not list((ROOT / "locales").rglob("*.mo"))


# --- looking up and formatting ---------------------------------------------------------------------------------------

def test_french_is_the_message_itself_formatted():
    assert _("fr", "{n} projets suivis", n=3) == "3 projets suivis"
    assert _("fr", "{{accolades}} {n}", n=1) == "{accolades} 1"


def test_english_comes_from_the_catalogue_and_a_missing_message_stays_french():
    assert _("en", "été") == "summer"
    assert _("en", "du {start} au {end}", start="a", end="b") == "a to b"
    assert _("en", "Texte que le catalogue ne connaît pas : {n}", n=2) == "Texte que le catalogue ne connaît pas : 2"
    assert _("de", "été") == "été"  # no catalogue for that language: French


def test_plural_forms_follow_each_language_rule():
    # French: 0 and 1 take the singular; English: 1 only. Fractions by CLDR's category (1,5 singular in French).
    assert [formatting.value(n, "people", "fr") for n in (0, 1, 2)] == [f"0{NBSP}personne", f"1{NBSP}personne",
                                                                       f"2{NBSP}personnes"]
    assert [formatting.value(n, "people", "en") for n in (0, 1, 2)] == [f"0{NBSP}people", f"1{NBSP}person",
                                                                       f"2{NBSP}people"]
    assert formatting.value(1.5, "years", "fr") == f"1,5{NBSP}an"
    assert formatting.value(1.5, "months", "en") == f"1.5{NBSP}months"
    assert _n("fr", "{n} projet", "{n} projets", 0) == "0 projet"
    assert _n("fr", "{n} projet", "{n} projets", 2) == "2 projets"


def write_po(path: Path, header: str, entries: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'msgid ""\nmsgstr ""\n{header}\n\n' + textwrap.dedent(entries), encoding="utf-8")


POLISH = ('"Language: pl\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
          '"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"')


def test_a_new_language_is_one_catalogue_file(tmp_path, monkeypatch, caplog):
    """A catalogue in another locales folder is read without any change to the code, with its own plural rule."""
    # (a .po has no \\u escapes: the no-break spaces are the characters themselves)
    write_po(i18n.catalogue_path("pl", tmp_path), POLISH, """\
        msgid "été"
        msgstr "lato"

        msgid "{n}\u00a0mois"
        msgid_plural "{n}\u00a0mois"
        msgstr[0] "{n}\u00a0miesiąc"
        msgstr[1] "{n}\u00a0miesiące"
        msgstr[2] "{n}\u00a0miesięcy"

        msgid "{n} projets suivis"
        msgstr "{liczba} projektów"

        msgid "hiver"
        msgstr ""
        """)
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    assert _("pl", "été") == "lato"
    assert formatting.date("2024-06-01", "season", "pl") == "lato 2024"
    assert [formatting.value(n, "months", "pl") for n in (1, 3, 5, 22)] == [
        f"1{NBSP}miesiąc", f"3{NBSP}miesiące", f"5{NBSP}miesięcy", f"22{NBSP}miesiące"]
    assert formatting.number(1234.5, 1, "pl") == f"1{NBSP}234,5"  # Babel's Polish separators
    assert _("pl", "hiver") == "hiver"  # an empty translation shows the French
    with caplog.at_level(logging.WARNING, logger="qmi"):
        assert _("pl", "{n} projets suivis", n=4) == "4 projets suivis"  # a translation naming a value not given
    assert "does not fit" in caplog.text
    assert _("en", "été") == "été"  # that folder has no English catalogue


def test_an_unreadable_catalogue_says_which_file(tmp_path, monkeypatch):
    path = i18n.catalogue_path("pl", tmp_path)
    write_po(path, POLISH, 'msgid "été"\nnonsense "lato"\n')
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    with pytest.raises(ValueError, match="messages.po"):
        _("pl", "été")


@pytest.mark.parametrize("call, expected", [
    (lambda: formatting.number(1234.5, 1, "fr"), f"1{NNBSP}234,5"),
    (lambda: formatting.number(1234.5, 1, "en"), "1,234.5"),
    (lambda: formatting.number(0.15, 1, "en"), "0.1"),  # Python's rounding of the float, as before
    (lambda: formatting.value(0.7, "ratio", "fr"), f"70{NNBSP}%"),
    (lambda: formatting.value(0.7, "ratio", "en"), "70%"),
    (lambda: formatting.value(1234, "euros", "fr"), f"1{NNBSP}234{NBSP}€"),
    (lambda: formatting.value(1234, "euros", "en"), "€1,234"),
    (lambda: formatting.date(dt.date(2023, 10, 1), "day", "fr"), "1er octobre 2023"),
    (lambda: formatting.date(dt.date(2023, 10, 1), "day", "en"), "1 October 2023"),
    (lambda: formatting.date(dt.date(2023, 10, 26), "day", "fr"), "26 octobre 2023"),
    (lambda: formatting.date("2024-09-01", "month", "fr"), "septembre 2024"),
    (lambda: formatting.date("2024-01-01", "month", "fr", short=True), "janv. 2024"),
    (lambda: formatting.date("2024-01-01", "month", "en", short=True), "January 2024"),
    (lambda: formatting.date("2024-06-01", "season", "fr"), "été 2024"),
    (lambda: formatting.date("2024-06-01", "season", "en"), "summer 2024"),
    (lambda: formatting.date("2024-02-01", "season", "fr"), "février 2024"),
    (lambda: formatting.date_range("2024-01-01", "2024-03-01", "month", "fr"), "du janvier 2024 au mars 2024"),
    (lambda: formatting.date_range("2024-01-01", "2024-03-01", "month", "en"), "January 2024 to March 2024"),
    (lambda: formatting.unit_label("people", "en"), "people"),
])
def test_babel_formatting_keeps_the_french_and_english_forms(call, expected):
    assert call() == expected


# --- the codemod, on a small tree ------------------------------------------------------------------------------------

SAMPLE = {
    "babel.cfg": "[extractors]\npython_tree = qmi_metrics.present.i18n:extract_python\n"
                 "[python_tree: qmi_metrics/**.py]\n[python_tree: dashboard/**.py]\n",
    "qmi_metrics/__init__.py": "",
    "qmi_metrics/present/__init__.py": "",
    # The pair helpers as they were before the catalogue (today's vocabulary.py has neither): the codemod's input.
    "qmi_metrics/present/vocabulary.py": '''\
        def tr(lang, fr, en):
            return en if lang == "en" else fr


        def plural(n, singular, plural_form):
            return singular if n < 2 else plural_form
        ''',
    "qmi_metrics/outputs/__init__.py": "",
    "qmi_metrics/outputs/sample.py": '''\
        """Texts of every shape the codemod meets."""

        from qmi_metrics.present.vocabulary import plural, tr


        def lines(lang, n, rows, name):
            for _, row in enumerate(rows):  # a throwaway `_`: renamed, not to hide the catalogue's
                pass
            return [
                tr(lang, "Projets", "Projects"),
                tr(lang, f"{n} projets suivis", f"{n} projects followed"),
                tr(lang, f"Commune : {name.upper()} ({len(rows)} lignes)", f"Commune: {name.upper()} ({len(rows)} rows)"),
                tr(lang, f"{{accolades}} {n:.1f} {name!r}", f"{{braces}} {n:.1f} {name!r}"),
                tr(lang, f"{n} {plural(n, 'projet', 'projets')} suivi{'s' if n > 1 else ''}",
                   f"{n} {plural(n, 'project', 'projects')} followed"),  # the French rule, in English
                tr(lang, "Un texte long qui tient sur deux lignes "
                         f"et qui compte {n} choses.",
                   f"A long text on two lines that counts {n} things."),
                f"{n} {tr(lang, 'inscrits', 'registered')}",
                tr(lang, "lieu", "place"),
                tr(lang, rows[0], rows[1]),
            ]


        def other(lang):
            return tr(lang, "lieu", "site")
        ''',
    "dashboard/__init__.py": "",
    "dashboard/session.py": '''\
        from qmi_metrics.present import vocabulary

        LANGUAGE = ["fr"]


        def lang():
            return LANGUAGE[0]


        def tr(fr, en):
            return vocabulary.tr(lang(), fr, en)


        def title():
            return tr("Titre", "Title")
        ''',
    "dashboard/page.py": '''\
        from dashboard import session


        def heading(count):
            return session.tr(f"{count} communes", f"{count} municipalities")
        ''',
    "dashboard/bare.py": '''\
        from dashboard.session import tr


        def caption():
            return tr("Légende", "Caption")
        ''',
}

RUN_SAMPLE = '''\
import json, sys
from dashboard import bare, page, session
from qmi_metrics.outputs import sample
out = {}
for lang in ("fr", "en"):
    session.LANGUAGE[0] = lang
    out[lang] = [*sample.lines(lang, 3, ["a", "b"], "Sceaux"), *sample.lines(lang, 1, ["a", "b"], "x"),
                 sample.other(lang), session.title(), page.heading(2), bare.caption(),
                 sample.lines(lang, 0, ["a", "b"], "x")[4]]
print(json.dumps(out))
'''


def make_sample(root: Path) -> None:
    for name, text in SAMPLE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    shutil.copy(ROOT / "qmi_metrics" / "present" / "i18n.py", root / "qmi_metrics" / "present" / "i18n.py")


def run_sample(root: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", RUN_SAMPLE], cwd=root, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)}, check=True)
    return json.loads(result.stdout)


def tree_text(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and "__pycache__" not in p.parts}


def test_codemod_rewrites_the_pairs_writes_the_catalogue_and_keeps_what_is_shown(tmp_path, capsys):
    make_sample(tmp_path)
    before = run_sample(tmp_path)
    i18n_migrate.main(["--root", str(tmp_path)])
    report = capsys.readouterr().out
    after = run_sample(tmp_path)

    sample = (tmp_path / "qmi_metrics/outputs/sample.py").read_text(encoding="utf-8")
    assert '_(lang, "{n} projets suivis", n=n)' in sample
    assert '_(lang, "Commune : {name_upper} ({len_rows} lignes)", name_upper=name.upper(), len_rows=len(rows))' in sample
    assert '_(lang, "{{accolades}} {n:.1f} {name!r}", n=n, name=name)' in sample
    assert "_n(lang, \"{n} projet suivi\", \"{n} projets suivis\", n)" in sample
    assert "f\"{n} {_(lang, 'inscrits')}\"" in sample
    assert "for _ignored, row in enumerate(rows)" in sample
    assert "tr(lang, rows[0], rows[1])" in sample  # not literals: left as it was
    assert "from qmi_metrics.present.i18n import _, _n" in sample
    assert "from qmi_metrics.present.vocabulary import tr\n" in sample  # plural no longer used, tr still is
    page = (tmp_path / "dashboard/page.py").read_text(encoding="utf-8")
    assert '_(session.lang(), "{count} communes", count=count)' in page
    assert '_(lang(), "Titre")' in (tmp_path / "dashboard/session.py").read_text(encoding="utf-8")
    bare = (tmp_path / "dashboard/bare.py").read_text(encoding="utf-8")
    assert "from dashboard.session import lang\n" in bare and '_(lang(), "Légende")' in bare
    assert "from dashboard.session import tr" not in bare

    # The sample's own calls: twelve converted, one left (vocabulary.py, the helpers' module, is not counted).
    left = [line for line in report.splitlines() if line.strip().startswith("left ") and "vocabulary.py" not in line]
    assert "converted: 12 calls;" in report and len(left) == 1, report
    assert "qmi_metrics/outputs/sample.py:21: a text is not a string literal" in report
    assert "'lieu'" in report and "'place'" in report and "'site'" in report  # one French text, two English
    assert "sample.py:14: en: 'project'/'projects' at n = 0" in report and "fr: " not in report

    catalogue = pofile.read_po((tmp_path / "locales/en/LC_MESSAGES/messages.po").open("rb"), locale="en")
    assert catalogue["{n} projets suivis"].string == "{n} projects followed"
    assert catalogue["{n} projet suivi"].string == ("{n} project followed", "{n} projects followed")
    assert catalogue["lieu"].string == "place"  # the more frequent, then the first
    assert ("qmi_metrics/outputs/sample.py", 12) in catalogue["{n} projets suivis"].locations

    # What each language shows is the same, but where the catalogue now decides: "lieu" has one English text,
    # and English says "0 projects" where the French rule said "0 project".
    assert after["fr"] == before["fr"]
    assert before["en"][-1] == "0 project followed" and after["en"][-1] == "0 projects followed"
    differences = [(b, a) for b, a in zip(before["en"][:-1], after["en"][:-1]) if b != a]
    assert differences == [("site", "place")]

    # Idempotent: a second run changes no file.
    written = tree_text(tmp_path)
    i18n_migrate.main(["--root", str(tmp_path)])
    again = capsys.readouterr().out
    assert "converted: 0 calls;" in again
    assert len([line for line in again.splitlines() if line.strip().startswith("left ") and "vocabulary.py" not in line]) == 1
    assert tree_text(tmp_path) == written


# --- no French/English pairs in the code: every interface word is a msgid -------------------------------------------

CODE_FILES = sorted([ROOT / "app.py", *(ROOT / "qmi_metrics").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")])
# Texts that are meant to come in both languages at once, not interface words picked by the reader's language.
BILINGUAL = {
    "qmi_metrics/store/synthetic.py": "writes data rows, whose label_fr and label_en columns hold both languages",
    "qmi_metrics/admin/": "an import's problems and templates carry both (the CLI prints « fr / en », a report keeps both)",
    "qmi_metrics/store/settings.py": "SettingError says what a setting expects in both (logged as « fr / en »)",
    "qmi_metrics/store/db.py": "DatabaseUnavailable says why in both (logged as « fr / en »)",
}


def english_of_each_msgid() -> dict:
    """msgid (the singular of a plural) -> its English texts, in any context."""
    with i18n.catalogue_path("en").open("rb") as po:
        catalogue = pofile.read_po(po, locale="en")
    english = {}
    for m in catalogue:
        if m.id:
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, (list, tuple)) else (m.string,)
            for msgid, text in zip(ids, strings):
                english.setdefault(msgid, set()).add(text)
    return english


def pairs_in(tree, english: dict) -> list[str]:
    """What in a module's syntax tree is a French/English pair (see the test below)."""
    found = []

    def text(node):
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name == "localized" and not all(isinstance(a, (ast.Attribute, ast.Subscript)) for a in node.args[1:]):
                found.append(f"{node.lineno}: localized() of something else than a row's two columns")
            sequence = node.args
        elif isinstance(node, (ast.Tuple, ast.List)):
            sequence = node.elts
        elif isinstance(node, ast.Dict):
            keys = {text(k) for k in node.keys if k is not None}
            if {"fr", "en"} <= keys:
                found.append(f"{node.lineno}: a table keyed by language")
            elif node.values and all(isinstance(v, ast.Tuple) and len(v.elts) >= 2 and text(v.elts[0]) is not None
                                     and text(v.elts[1]) is not None for v in node.values):
                found.append(f"{node.lineno}: a table of text pairs")
            continue
        else:
            continue
        for first, second in zip(sequence, sequence[1:]):
            if text(first) and text(second) is not None and text(second) in english.get(text(first), ()):
                found.append(f"{node.lineno}: {text(first)!r} beside its English {text(second)!r}")
    return found


def test_no_module_holds_french_english_pairs_for_interface_words():
    """The interface's words are msgids translated by the catalogue (`_`, `N_` in tables), so a language is one
    file: no table keyed by language, no French text written beside its English (in a tuple, a list or a call's
    arguments), and `vocabulary.localized` only for a data row's own French and English columns."""
    english = english_of_each_msgid()
    checked = [path for path in CODE_FILES
               if not any(path.relative_to(ROOT).as_posix().startswith(place) for place in BILINGUAL)]
    found = {path.relative_to(ROOT).as_posix(): pairs
             for path in checked for pairs in [pairs_in(ast.parse(path.read_text(encoding="utf-8")), english)] if pairs}
    assert not found, found
    assert len(checked) > 50 and ROOT / "dashboard" / "registry.py" in checked


def test_the_pair_detector_sees_the_shapes_the_tables_had():
    english = english_of_each_msgid()
    tree = ast.parse(textwrap.dedent('''\
        STATUS_LABELS = {"selected": ("sélectionné", "selected")}
        DOMAINS = (("social", "Social", "Social"),)
        NOT_KNOWN = {"fr": "non renseigné", "en": "not available"}
        title = vocabulary.localized(lang, "Projets", "Projects")
        word = tr(lang, "défi", "challenge")
        label = vocabulary.localized(lang, row["label_fr"], row.label_en)
        fine = (N_("sélectionné"), "selected", "edition", "all")
        NAMES = {"a.txt": ("le communiqué de presse", "the press release")}
        WORDS = {"selected": N_("sélectionné"), "day": ("jour",)}
        '''))
    assert sorted(int(line.split(":")[0]) for line in pairs_in(tree, english)) == [1, 1, 2, 3, 4, 4, 5, 8]


# --- contexts, and a language added by its catalogue alone -----------------------------------------------------------

def test_catalogue_has_every_message_of_the_code_in_its_context():
    with i18n.catalogue_path("en").open("rb") as po:
        catalogue = pofile.read_po(po, locale="en")
    entries = {(context, message) for _f, _l, message, context in i18n_migrate.extract_entries(ROOT, i18n.KEYWORDS)}
    missing = [(context, message) for context, message in entries
               if catalogue.get(message[0] if isinstance(message, tuple) else message, context) is None]
    assert not missing, missing
    # the tables' markers are extracted, with their contexts
    assert (None, "sélectionné") in entries and ("navigation", "Carte des quartiers") in entries
    assert ("nom après un nombre", ("projet", "projets")) in entries


def test_one_french_text_has_one_translation_per_context():
    assert _("en", "mois") == "months" and vocabulary.date_precision("month", "en") == "month"
    assert registry.page("carte").title("en") == "District map" and _("en", "Carte des quartiers") == "Map of the quartiers"
    assert [narratives.scope_noun("projects", "en", n) for n in (0, 1, 2, None)] == ["projects", "project",
                                                                                      "projects", "projects"]
    assert [narratives.scope_noun("projects", "fr", n) for n in (0, 1, 2, None)] == ["projet", "projet",
                                                                                      "projets", "projets"]
    assert _("en", "projet") == "project" and _("en", "projets") == "projects"  # the column names, without context


GERMAN = '"Language: de\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"'


def test_a_new_language_translates_the_tables_without_a_code_change(tmp_path, monkeypatch):
    """The words of vocabulary's tables and the navigation come from the catalogue: a German one is enough."""
    write_po(i18n.catalogue_path("de", tmp_path), GERMAN, """\
        msgid "déployé"
        msgstr "eingesetzt"

        msgid "non renseigné"
        msgstr "keine Angabe"

        msgctxt "navigation"
        msgid "Carte des quartiers"
        msgstr "Karte"

        msgctxt "précision d'une date"
        msgid "mois"
        msgstr "Monat"

        msgctxt "nom après un nombre"
        msgid "projet"
        msgid_plural "projets"
        msgstr[0] "Projekt"
        msgstr[1] "Projekte"
        """)
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    assert vocabulary.status_label("deployed", "de") == "● eingesetzt"
    assert vocabulary.status_label(None, "de") == vocabulary.site_precision(None, "de") == "keine Angabe"
    assert registry.page("carte").title("de") == "Karte"
    assert vocabulary.date_precision("month", "de") == "Monat"
    assert [narratives.scope_noun("projects", "de", n) for n in (0, 1, 2)] == ["Projekte", "Projekt", "Projekte"]
    # what the German catalogue lacks shows in French
    assert vocabulary.domain_label("social", "de") == "Social" and cards.basis_text("computed", "de") == "calculé"
    assert registry.section_title("programme", "de") == "Programme"
