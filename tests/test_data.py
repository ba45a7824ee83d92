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
    (data / "editions.csv").open("a", encoding="utf-8").write("3,3e édition,3rd edition,2026,2025,terminée,cp_2023,,\n")
    target = tmp_path / "bad.duckdb"
    with pytest.raises(Exception, match="(?i)constraint"):
        loader.build(target, data_dir=data, tables=("sources", "editions"))
    assert not target.exists()  # nothing half-built is left where readers look
