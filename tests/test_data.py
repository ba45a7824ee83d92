"""The reference database: built from data/, reproducible, every row sourced and traceable."""

from __future__ import annotations

import csv
import re

import pytest

from helpers import source_columns

from qmi_metrics.metrics import reconcile
from qmi_metrics.store import db, loader

TABLES_WITH_ROWS = ("sources", "editions", "milestones", "themes", "project_families", "solution_types", "communes",
                    "sites", "commune_editions", "calls", "published_figures", "call_figures", "projects",
                    "candidatures", "project_events", "indicators", "replicability_criteria", "community_events",
                    "diagnostics", "surveys", "partners", "awards", "aliases", "contradictions")


def table_contents(con, table):
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def quoted_in(quote: str, text: str) -> bool:
    """Every excerpt of a quote (one, or several joined by « […] ») stands verbatim in the normalised text."""
    return all(normalise_text(excerpt) in text for excerpt in reconcile.excerpts(quote))


class Documents:
    """The normalised text of each source's file under ../shared/, read once."""

    def __init__(self, con, shared_dir):
        self.files = {r["source_id"]: r["file"] for r in db.fetch_rows(con, "SELECT source_id, file FROM sources")}
        self.shared_dir, self.texts = shared_dir, {}

    def text(self, source_id: str) -> str:
        if source_id not in self.texts:
            path = self.shared_dir / self.files[source_id]
            self.texts[source_id] = normalise_text(path.read_text(encoding="utf-8"))
        return self.texts[source_id]


# --- the source documents' layout: paragraphs, sections, each project's passages -------------------------------
# A section is the text from its heading to the next heading of its level or above; the headings are those the
# rows cite (and, in Markdown, the # lines). The report's boxed insets are headings of their own inside a chapter
# that runs on past them: their text ends at the next heading, the chapter's at the next chapter.
INSETS = {"TOP 3 DES MOTIFS DE CANDIDATURE", "LES 6 GRANDS SUJETS DE MONTÉE EN COMPÉTENCES DES COMMUNES",
          "LES 5 THÉMATIQUES LES PLUS REPRÉSENTÉES PARMI NOS PROJETS"}


def paragraphs(text: str) -> list[tuple[str, int]]:
    """The document's paragraphs (text between blank lines) on one line each, with their Markdown heading level
    (0: not a # line)."""
    found, lines = [], []

    def flush():
        if lines:
            found.append((normalise_text(" ".join(lines)), 0))
            lines.clear()

    for line in text.splitlines():
        heading = re.match(r"(#+)\s+(.*)", line)
        if heading:
            flush()
            found.append((normalise_text(heading.group(2)), len(heading.group(1))))
        elif line.strip():
            lines.append(line)
        else:
            flush()
    flush()
    return found


def heading_places(paras: list[tuple[str, int]], heading: str) -> list[tuple[int, int]]:
    """(first, after last) paragraph of each place where whole paragraphs read `heading` (a title may span two)."""
    texts = [text for text, _level in paras]
    return [(i, j) for i in range(len(texts)) for j in range(i + 1, min(len(texts), i + 3) + 1)
            if " ".join(texts[i:j]) == heading]


def outline(paras: list[tuple[str, int]], cited: set[str]) -> list[tuple[int, int, int, str]]:
    """(first paragraph, after the heading, level, heading) of every heading, in the document's order."""
    heads = {i: (i + 1, level, text) for i, (text, level) in enumerate(paras) if level}
    for heading in cited:
        for i, j in heading_places(paras, heading):
            heads.setdefault(i, (j, 2 if heading in INSETS else 1, heading))
    return sorted((i, j, level, text) for i, (j, level, text) in heads.items())


def sections(text: str, cited: set[str]) -> dict[str, list[str]]:
    """Each heading's section, heading included, as many times as the heading stands in the document."""
    paras = paragraphs(text)
    heads = outline(paras, cited)
    found: dict[str, list[str]] = {}
    for n, (start, _after, level, heading) in enumerate(heads):
        end = next((i for i, _j, other, _t in heads[n + 1:] if other <= level), len(paras))
        found.setdefault(heading, []).append(" ".join(p for p, _level in paras[start:end]))
    return found


def passages(text: str, projects: list[dict], cited: set[str]) -> dict[str, list[str]]:
    """project_id -> its passages in the document: from the paragraph that opens one (its entry in the report's
    list, « Nom » or « Nom, par Porteur » ; its story, « Nom à Commune » or « Porteur à Commune ») to the next one
    that opens another project's passage or a section."""
    paras = paragraphs(text)
    texts = [p for p, _level in paras]
    opens = {}
    for project in projects:
        names = [n for n in (project["name"], project["operator"]) if n]
        openers = {project["name"], *(f"{name} à {project['commune']}" for name in names)}
        for i, paragraph in enumerate(texts):
            if paragraph in openers or paragraph.startswith(project["name"] + ", par "):
                opens[i] = project["project_id"]
    heads = {i for i, *_rest in outline(paras, cited)}
    found: dict[str, list[str]] = {}
    for i, project_id in sorted(opens.items()):
        end = next((k for k in range(i + 1, len(texts)) if k in opens or k in heads), len(texts))
        found.setdefault(project_id, []).append(" ".join(texts[i:end]))
    return found


def quoted_rows(con) -> list[dict]:
    """Every row that cites a passage of a file: table, project, basis, document, section, quote. Tables are listed
    from the schema (every column source_quote), plus published_figures and the projects' own texts."""
    files = {r["source_id"]: r["file"] for r in db.fetch_rows(con, "SELECT source_id, file FROM sources")}
    rows = []
    for table in [r["table_name"] for r in db.fetch_rows(con, """
            SELECT table_name FROM information_schema.columns WHERE column_name = 'source_quote' ORDER BY ALL""")]:
        columns = {r["column_name"] for r in db.fetch_rows(
            con, "SELECT column_name FROM information_schema.columns WHERE table_name = $t", {"t": table})}
        assert "source_section" in columns, f"{table}: a quote needs the section it stands under"
        project = "project_id" if "project_id" in columns else "NULL"
        for r in db.fetch_rows(con, f"""SELECT source_id, source_section, source_quote, basis, {project} AS project_id
                                        FROM {table} WHERE source_quote IS NOT NULL"""):
            rows.append({"table": table, "project_id": r["project_id"], "basis": r["basis"],
                         "document": files[r["source_id"]], "section": r["source_section"], "quote": r["source_quote"]})
    for r in db.fetch_rows(con, "SELECT figure_id, document, section, quote, basis FROM published_figures"):
        rows.append({"table": "published_figures", "project_id": None, "basis": r["basis"], "document": r["document"],
                     "section": r["section"], "quote": r["quote"]})
    for r in db.fetch_rows(con, """SELECT project_id, source_id, source_section, lessons_section, description_fr,
                                          lessons_fr, basis FROM projects"""):
        texts = [(r["source_section"], r["description_fr"])] + [
            (r["lessons_section"], part) for part in (r["lessons_fr"] or "").split("[...]") if part.strip()]
        rows += [{"table": "projects", "project_id": r["project_id"], "basis": r["basis"],
                  "document": files[r["source_id"]], "section": section, "quote": quote}
                 for section, quote in texts if quote]
    return [row for row in rows if row["document"]]


def cited_headings(rows: list[dict]) -> dict[str, set[str]]:
    cited: dict[str, set[str]] = {}
    for row in rows:
        if row["section"]:
            cited.setdefault(row["document"], set()).add(normalise_text(row["section"]))
    return cited


def test_building_twice_gives_the_same_database(tmp_path):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    counts_first = loader.build(first)
    counts_second = loader.build(second)
    loader.build(second)  # rebuilding over an existing file is idempotent too
    assert counts_first == counts_second
    with db.connect(first) as a, db.connect(second) as b:
        for table in loader.TABLES + ("meta",):
            assert table_contents(a, table) == table_contents(b, table), table


def test_every_table_the_issue_names_has_rows(reference_con):
    for table in TABLES_WITH_ROWS:
        assert db.fetch_value(reference_con, f"SELECT count(*) FROM {table}") > 0, table


def test_reference_database_is_marked_as_reference(reference_con):
    assert db.meta(reference_con)["synthetic"] == "false"
    assert not db.is_synthetic(reference_con)


def test_all_130_communes_of_the_metropole(reference_con):
    assert db.fetch_value(reference_con, "SELECT count(*) FROM communes") == 130
    # Every commune has a computed centroid so maps can place it offline.
    assert db.fetch_value(reference_con, "SELECT count(DISTINCT insee) FROM sites WHERE kind = 'commune_centroid'") == 130


def test_every_foreign_key_resolves(reference_con):
    constraints = db.fetch_rows(reference_con, """
        SELECT table_name, constraint_column_names AS columns, referenced_table, referenced_column_names AS ref_columns
        FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'""")
    assert len(constraints) >= 30
    for c in constraints:
        (column,), (ref_column,) = c["columns"], c["ref_columns"]
        orphans = db.fetch_value(reference_con, f"""
            SELECT count(*) FROM {c['table_name']} t
            WHERE t.{column} IS NOT NULL
              AND t.{column} NOT IN (SELECT {ref_column} FROM {c['referenced_table']})""")
        assert orphans == 0, c


def test_every_row_of_every_table_has_a_source(reference_con):
    for table in loader.TABLES:
        if table == "sources":
            continue
        columns = [r["column_name"] for r in db.fetch_rows(
            reference_con, "SELECT column_name FROM information_schema.columns WHERE table_name = $t", {"t": table})]
        # source_id, or both sides of a contradiction: never a table whose rows name no source
        expected = ("source_a", "source_b") if table == "contradictions" else ("source_id",)
        assert source_columns(table) == expected and set(expected) <= set(columns), table
        for column in expected:
            missing = db.fetch_value(reference_con, f"""
                SELECT count(*) FROM {table}
                WHERE {column} IS NULL OR {column} NOT IN (SELECT source_id FROM sources)""")
            assert missing == 0, (table, column)


def test_published_figures_quote_their_documents_verbatim(reference_con, shared_dir):
    figures = db.fetch_rows(reference_con, "SELECT figure_id, document, section, quote FROM published_figures")
    assert len(figures) >= 60
    texts = {}
    for figure in figures:
        if figure["document"] not in texts:
            texts[figure["document"]] = normalise_text((shared_dir / figure["document"]).read_text(encoding="utf-8"))
        text = texts[figure["document"]]
        assert normalise_text(figure["quote"]) in text, figure["figure_id"]
        assert normalise_text(figure["section"]) in text, figure["figure_id"]


@pytest.mark.parametrize("table", ["milestones", "project_events", "community_events", "diagnostics",
                                   "commune_editions", "project_sites", "project_indicators", "indicators",
                                   "replicability_criteria", "partners", "awards", "aliases"])
def test_quotes_of_document_sources_are_verbatim(reference_con, shared_dir, table):
    documents = Documents(reference_con, shared_dir)
    rows = db.fetch_rows(reference_con, f"SELECT source_id, source_quote FROM {table} WHERE source_quote IS NOT NULL")
    assert rows
    for row in rows:
        assert quoted_in(row["source_quote"], documents.text(row["source_id"])), row


@pytest.mark.parametrize("table", ["partners", "awards", "aliases"])
def test_sections_of_what_the_documents_say_are_headings_of_their_document(reference_con, shared_dir, table):
    documents = Documents(reference_con, shared_dir)
    rows = db.fetch_rows(reference_con, f"SELECT source_id, source_section FROM {table}")
    assert rows and all(row["source_section"] for row in rows)
    for row in rows:
        assert normalise_text(row["source_section"]) in documents.text(row["source_id"]), row


def test_both_sentences_of_every_contradiction_are_verbatim_in_their_documents(reference_con, shared_dir):
    documents = Documents(reference_con, shared_dir)
    rows = db.fetch_rows(reference_con, "SELECT * FROM contradictions")
    assert rows
    for row in rows:
        for side in ("a", "b"):
            text = documents.text(row[f"source_{side}"])
            assert quoted_in(row[f"quote_{side}"], text), (row["contradiction_id"], side)
            if row[f"section_{side}"] is not None:
                assert normalise_text(row[f"section_{side}"]) in text, (row["contradiction_id"], side)
        # two sides of one document are two different passages of it
        assert row["quote_a"] != row["quote_b"], row["contradiction_id"]


def test_each_alias_quote_writes_the_name_as_it_says(reference_con):
    rows = db.fetch_rows(reference_con, "SELECT alias_id, name_as_written, source_quote FROM aliases")
    assert rows
    for row in rows:
        assert row["name_as_written"] in row["source_quote"], row


def test_every_quote_stands_under_its_cited_section_of_its_cited_document(reference_con, shared_dir):
    rows = quoted_rows(reference_con)
    assert {r["table"] for r in rows} >= {"published_figures", "projects", "project_events", "project_sites",
                                           "project_indicators", "milestones", "indicators"}
    for document, cited in cited_headings(rows).items():
        found = sections((shared_dir / document).read_text(encoding="utf-8"), cited)
        for heading in cited:
            # Cited as the document prints it, as whole paragraphs, once: « Une évolution dans la typologie des
            # projets accompagnés » is the start of a heading, not one.
            assert len(found.get(heading, [])) == 1, (document, heading, len(found.get(heading, [])))
        for row in (r for r in rows if r["document"] == document):
            assert row["section"], row
            section = found[normalise_text(row["section"])][0]
            assert normalise_text(row["quote"]) in section, row


def test_a_project_linked_quote_stands_in_that_projects_own_passage(reference_con, shared_dir):
    rows = quoted_rows(reference_con)
    projects = db.fetch_rows(reference_con, """
        SELECT p.project_id, p.name, p.operator, c.name AS commune FROM projects p LEFT JOIN communes c USING (insee)""")
    texts = {document: passages((shared_dir / document).read_text(encoding="utf-8"), projects, cited)
             for document, cited in cited_headings(rows).items()}
    report = texts["seeds/004_39930cb31348f1d2.txt"]
    assert len(report) == 28 and len(report["purple"]) == 2  # its entry in the list and its story
    linked = [r for r in rows if r["project_id"] is not None]
    assert {r["table"] for r in linked} >= {"project_events", "project_sites", "project_indicators", "projects"}
    for row in linked:
        own = any(normalise_text(row["quote"]) in passage for passage in texts[row["document"]].get(row["project_id"], []))
        # A row not stated for itself (a sentence about all projects, another project's story) says so, with its rule.
        assert own or (row["table"] != "projects" and row["basis"] != "stated"), row
        if row["table"] != "projects" and row["basis"] == "stated":
            assert own, row


def test_a_sentence_about_several_projects_backs_no_stated_row(reference_con):
    for table in ("project_events", "project_sites", "project_indicators"):
        shared = db.fetch_rows(reference_con, f"""
            SELECT source_quote, count(DISTINCT project_id) AS projects, list(DISTINCT basis) AS bases
            FROM {table} WHERE source_quote IS NOT NULL GROUP BY source_quote HAVING count(DISTINCT project_id) > 1""")
        for row in shared:
            assert row["bases"] == ["inferred"], (table, row)
    started = db.fetch_rows(reference_con, "SELECT basis, basis_rule FROM project_events WHERE kind = 'started'")
    assert len(started) == 28 and {r["basis"] for r in started} == {"inferred"}
    assert all("appliqué à chaque projet" in r["basis_rule"] for r in started)


def test_no_stage_of_a_project_rests_on_an_announcement(reference_con):
    future = re.compile(r"\b(permettra|permettront|sera|seront|va|vont|devrait|devraient|pourra|prévue?s?)\b", re.I)
    for row in db.fetch_rows(reference_con, "SELECT event_id, source_quote FROM project_events"):
        assert not future.search(row["source_quote"] or ""), row
    assert db.fetch_value(reference_con, "SELECT count(*) FROM project_events WHERE event_id = "
                                         "'wintics-cityvision-continued'") == 0  # « … permettra … pour continuer »


def test_every_row_of_every_table_says_how_it_stands_to_its_source(reference_con):
    tables = [r["table_name"] for r in db.fetch_rows(reference_con, """
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'""")]
    loaded = [t for t in tables if loader.table_files(loader.DATA_DIR, t)]
    assert set(loaded) == set(loader.TABLES)
    rules = {}
    for table in tables:
        columns = {r["column_name"] for r in db.fetch_rows(
            reference_con, "SELECT column_name FROM information_schema.columns WHERE table_name = $t", {"t": table})}
        if table not in loaded:  # derived or bookkeeping (kpi_values, meta, audit_log…): no fact of a source
            assert "source_id" not in columns, table
            continue
        assert {"basis", "basis_rule"} <= columns, table
        rows = db.fetch_rows(reference_con, f"SELECT basis, basis_rule FROM {table}")
        for row in rows:
            assert row["basis"] in ("stated", "inferred", "modelled"), (table, row)
            if row["basis"] != "stated":
                assert row["basis_rule"] and row["basis_rule"].strip(), (table, row)
                rules.setdefault(row["basis_rule"], table)
    # A rule is one French sentence: a capital, a full stop, no second sentence.
    for rule, table in rules.items():
        assert rule[0].isupper() and rule.endswith(".") and not re.search(r"[.!?] [A-ZÀ-Ý]", rule), (table, rule)
        assert re.search(r"\b(le|la|les|des|du|est|sont)\b", rule), (table, rule)
    bases = dict(db.fetch_df(reference_con, "SELECT basis, count(*) FROM indicators GROUP BY ALL").values)
    assert bases == {"modelled": 21}  # units and desired directions are the dashboard's model


def test_indicator_directions_read_as_their_labels_say(reference_con):
    # A quality, a capacity or a satisfaction is wanted up; a cost is wanted down.
    wanted = {"Qualité": "hausse", "Capacité": "hausse", "Satisfaction": "hausse", "Coût": "baisse"}
    rows = db.fetch_rows(reference_con, "SELECT label_fr, direction FROM indicators")
    checked = 0
    for row in rows:
        for word, direction in wanted.items():
            if row["label_fr"].startswith(word):
                assert row["direction"] == direction, row
                checked += 1
    assert checked == 6


def test_every_project_of_the_report_is_listed_with_its_commune(reference_con):
    per_commune = dict(db.fetch_df(reference_con, """
        SELECT c.name, count(*) AS n FROM projects p JOIN communes c USING (insee) GROUP BY c.name""").values)
    assert per_commune == {"Aulnay-sous-Bois": 7, "Meudon": 7, "Noisy-le-Grand": 8, "Sceaux": 6}


def test_every_project_name_is_written_so_in_the_report(reference_con, shared_dir):
    """A project's name is the report's list heading; other spellings are in aliases (tests/test_contradictions.py)."""
    report = Documents(reference_con, shared_dir).text("rapport_2025")
    for (name,) in db.fetch_tuples(reference_con, "SELECT name FROM projects WHERE source_id = 'rapport_2025'"):
        assert normalise_text(name) in report, name


def test_unknown_facts_stay_null(reference_con):
    # The report does not name Sceaux's quartier nor give dates for most deployments.
    assert db.fetch_value(reference_con,
                          "SELECT quartier_name FROM commune_editions WHERE edition_id = 1 AND insee = '92071'") is None
    assert db.fetch_value(reference_con, "SELECT count(*) FROM replicability_scores") == 0
    assert db.fetch_value(reference_con, "SELECT count(*) FROM indicator_values") == 0
    # The documents name a product, not who runs it: « Purpl est … », « La plate-forme eOnsight … », « Le Vike est … ».
    operators = dict(db.fetch_df(reference_con, """
        SELECT project_id, operator FROM projects WHERE project_id IN ('purpl', 'digiponts92', 'umotion')""").values)
    assert operators == {"purpl": None, "digiponts92": None, "umotion": None}


def test_approximate_coordinates_are_marked(reference_con):
    rows = db.fetch_rows(reference_con, "SELECT s.precision, src.kind FROM sites s JOIN sources src USING (source_id)")
    for row in rows:
        if row["kind"] == "general_knowledge":
            assert row["precision"] in ("landmark", "approximate")


def test_both_disagreeing_application_counts_are_kept(reference_con):
    values = db.fetch_rows(reference_con, """
        SELECT value, source_id FROM call_figures WHERE call_id = 'e1_aap_projets' AND measure = 'applications'
        ORDER BY value""")
    assert values == [{"value": 168.0, "source_id": "rapport_2025"}, {"value": 170.0, "source_id": "cp_2023"}]


def test_data_files_are_plain_utf8_csv_matching_the_schema(reference_con):
    for table in loader.TABLES:
        columns = [r["column_name"] for r in db.fetch_rows(reference_con, """
            SELECT column_name FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position""",
            {"t": table})]
        for path in loader.table_files(loader.DATA_DIR, table):
            with path.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle))
            assert set(header) <= set(columns), (path.name, set(header) - set(columns))


def test_a_bad_value_in_a_source_file_stops_the_build(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for table in ("sources", "editions"):
        (data / f"{table}.csv").write_bytes((loader.DATA_DIR / f"{table}.csv").read_bytes())
    (data / "editions.csv").open("a", encoding="utf-8").write("3,3e édition,3rd edition,2026,2025,terminée,cp_2023,,,stated,\n")
    target = tmp_path / "bad.duckdb"
    with pytest.raises(Exception, match="(?i)constraint"):
        loader.build(target, data_dir=data, tables=("sources", "editions"))
    assert not target.exists()  # nothing half-built is left where readers look
