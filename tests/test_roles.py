"""Each commune edits its own data: roles declared in secrets.toml, a commune editor's import checked against its
scope row by row (CLI and Python), the audit log's role, scope and communes, pre-filled templates, and who may
roll back. The Administration page per role is tested in tests/test_admin.py."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from qmi_metrics.admin import importing, publishing, readers, roles, templates
from qmi_metrics.store import settings

REPO = Path(__file__).resolve().parent.parent
AULNAY, MEUDON = "93005", "92048"   # laureates of the reference data: istya is in Aulnay, faradae in Meudon
VALUES = "project_id;indicator_id;measured_on;value\n"
ISTYA = "istya;qualite-air-interieur;31/03/2024;7\n"
FARADAE = "faradae;energie-partagee;31/03/2024;1 234,5\n"
ONE_ROW_OF_MEUDON = VALUES + ISTYA + FARADAE + "istya;qualite-air-interieur;30/04/2024;8\n"
ROW_OF_MEUDON = ("mesures.csv, ligne 3, colonne « project_id » : valeur « faradae » — une ligne de vos communes"
                 " (93005 (Aulnay-sous-Bois)) : le projet faradae est à 92048 (Meudon) ; seul un gestionnaire du"
                 " programme peut l'importer")


def run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "qmi_metrics", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "QMI_SITE_DIR": ""})


def digest(folder: Path) -> dict[str, str]:
    """Every file beside the database and its hash: a refused import must leave them all as they were."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


@pytest.fixture
def live(reference_db_path, tmp_path) -> Path:
    folder = tmp_path / "base"
    folder.mkdir()
    path = folder / "qmi.duckdb"
    shutil.copyfile(reference_db_path, path)
    return path


def write(tmp_path: Path, text: str, name: str = "mesures.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def parsed(text: str, table: str = "indicator_values", name: str = "mesures.csv"):
    return readers.read_file(text.encode("utf-8"), name, table)


# --- declaring roles ----------------------------------------------------------------------------------------


SECRETS = {
    "admin": {"password_hash": "$argon2id$admin", "emails": ["DSI@parisandco.paris"]},
    "roles": {"cheffe@parisandco.paris": {"role": "programme_manager"},
              "agent@ville-aulnay.fr": {"role": "commune_editor", "scope": [AULNAY]},
              "elu@example.org": {"role": "reader"}},
    "accounts": {"meudon": {"password_hash": "$argon2id$meudon", "role": "commune_editor", "scope": ["92048"]}},
}


def test_roles_are_read_by_e_mail_and_by_password_account():
    declared = roles.declared(SECRETS)
    assert declared.for_email("dsi@PARISANDCO.paris") == roles.Identity("dsi@parisandco.paris", "administrator")
    assert declared.for_email("cheffe@parisandco.paris").role == "programme_manager"
    editor = declared.for_email("Agent@Ville-Aulnay.fr", "Agent Aulnay")
    assert editor == roles.Identity("Agent Aulnay", "commune_editor", frozenset({AULNAY}))
    assert editor.may_import and not editor.may_roll_back and not editor.may_see_access
    assert declared.for_email("inconnu@example.org").role == "reader"  # someone is declared: others only read
    assert not declared.for_email("elu@example.org").may_import
    assert declared.for_account("admin") == roles.Identity("admin", "administrator")
    assert declared.for_account("meudon") == roles.Identity("meudon", "commune_editor", frozenset({MEUDON}))
    assert declared.for_account("nobody") is None
    assert declared.password_hash("meudon") == "$argon2id$meudon"
    assert declared.resolve("agent@ville-aulnay.fr").scope == {AULNAY} and declared.resolve("meudon").scope == {MEUDON}
    assert declared.resolve("inconnu@example.org") is None  # --as names someone declared
    assert {row["who"] for row in declared.table()} == {"dsi@parisandco.paris", "cheffe@parisandco.paris",
                                                         "agent@ville-aulnay.fr", "elu@example.org", "admin", "meudon"}
    assert "$argon2id" not in json.dumps(declared.table())


def test_what_worked_before_roles_still_works():
    only_password = roles.declared({"admin": {"password_hash": "$argon2id$x"}})
    assert only_password.for_account("admin").role == "administrator"
    assert roles.declared({}).for_email("any@example.org").role == "administrator"  # nobody declared: as before
    assert roles.declared({"admin": {"emails": ["a@b.fr"]}}).for_email("c@d.fr").role == "reader"


@pytest.mark.parametrize("secrets, named", [
    ({"roles": {"a@b.fr": {"role": "superuser"}}}, "role = l'un de reader, commune_editor"),
    ({"roles": {"a@b.fr": {"role": "commune_editor"}}}, "scope = la liste des codes INSEE"),
    ({"roles": {"a@b.fr": {"role": "commune_editor", "scope": ["Meudon"]}}}, "scope = la liste des codes INSEE"),
    ({"roles": {"a@b.fr": {"role": "commune_editor", "scope": []}}}, "scope = la liste des codes INSEE"),
    ({"roles": {"a@b.fr": {"role": "programme_manager", "scope": [MEUDON]}}}, "pas de scope"),
    ({"roles": {"a@b.fr": {"role": "reader"}}, "admin": {"emails": ["A@b.fr"]}}, "une seule déclaration"),
    ({"roles": {"meudon": {"role": "reader"}}}, "une adresse e-mail"),
    ({"accounts": {"meudon": {"role": "reader"}}}, "password_hash"),
    ({"accounts": {"admin": {"password_hash": "h", "role": "reader"}}, "admin": {"password_hash": "h"}},
     "un autre nom de compte"),
    ({"roles": "programme_manager"}, "une section"),
])
def test_a_declaration_not_understood_is_a_setting_error_naming_it(secrets, named):
    with pytest.raises(settings.SettingError) as raised:
        roles.declared(secrets)
    assert named in raised.value.fr and raised.value.en


def test_an_unknown_account_is_checked_against_a_decoy_hash_like_a_known_one():
    from qmi_metrics.admin import auth

    decoy = auth.decoy_hash()
    assert decoy.startswith("$argon2id$") and not auth.needs_rehash(decoy)  # as slow as a real account's
    assert decoy == auth.decoy_hash() and not auth.verify_password("", decoy)


def test_a_role_cannot_be_made_up():
    for bad in (lambda: roles.Identity("x", "root"), lambda: roles.Identity("x", "commune_editor"),
                lambda: roles.Identity("x", "commune_editor", frozenset()),
                lambda: roles.Identity("x", "administrator", frozenset({MEUDON}))):
        with pytest.raises(ValueError):
            bad()


# --- a commune editor's import is checked against its scope ------------------------------------------------


def test_every_row_outside_the_scope_is_refused_with_its_row_column_and_reason(reference_con):
    prepared = importing.prepare(reference_con, parsed(ONE_ROW_OF_MEUDON), "indicator_values", "append",
                                 frozenset({AULNAY}))
    assert [(p.row, p.column, p.value) for p in prepared.problems] == [(3, "project_id", "faradae")]
    assert prepared.problems[0].message_fr == ROW_OF_MEUDON
    assert "project faradae is in 92048 (Meudon)" in prepared.problems[0].message_en
    assert not prepared.records
    both = importing.prepare(reference_con, parsed(ONE_ROW_OF_MEUDON), "indicator_values", "append",
                             frozenset({AULNAY, MEUDON}))
    assert both.ok and both.communes == [MEUDON, AULNAY]
    everyone = importing.prepare(reference_con, parsed(ONE_ROW_OF_MEUDON), "indicator_values", "append")
    assert everyone.ok and everyone.communes == [MEUDON, AULNAY]


def test_a_row_is_placed_by_its_own_insee_else_by_its_project(reference_con):
    aulnay = frozenset({AULNAY})
    # A candidature: its insee when it has one, else its project's commune.
    candidatures = ("candidature_id;call_id;applicant;insee;project_id;status\n"
                    f"c-1;e1_aap_projets;Une entreprise;{AULNAY};;déposée\n"
                    "c-2;e1_aap_projets;Faradae;;faradae;lauréate\n"
                    "c-3;e1_aap_projets;Istya;;istya;lauréate\n")
    prepared = importing.prepare(reference_con, parsed(candidatures, "candidatures"), "candidatures", "append", aulnay)
    assert [(p.row, p.column) for p in prepared.problems] == [(3, "project_id")], \
        [p.message_fr for p in prepared.problems]
    # A community event without a commune is the whole programme's; an edition too.
    events = f"event_id;edition_id;insee\nev-x;1;\nev-y;1;{AULNAY}\n"
    prepared = importing.prepare(reference_con, parsed(events, "community_events"), "community_events", "append",
                                 aulnay)
    assert [(p.row, p.column) for p in prepared.problems] == [(2, "insee")]
    assert "cette ligne n'a pas de commune" in prepared.problems[0].expected_fr
    editions = "edition_id;label_fr;label_en;first_year;status\n9;Édition 9;Edition 9;2026;en cours\n"
    prepared = importing.prepare(reference_con, parsed(editions, "editions"), "editions", "append", aulnay)
    assert [(p.row, p.column) for p in prepared.problems] == [(2, "edition_id")]
    assert "une édition est à tout le programme" in prepared.problems[0].expected_fr
    assert importing.prepare(reference_con, parsed(editions, "editions"), "editions", "append").ok


def test_upsert_cannot_take_another_communes_row_over(reference_con):
    """faradae is Meudon's: an editor of Aulnay who writes it with Aulnay's code is refused, on the column that
    places the row in the database."""
    taken = f"project_id;edition_id;name;insee\nfaradae;1;Faradae;{AULNAY}\n"
    prepared = importing.prepare(reference_con, parsed(taken, "projects"), "projects", "upsert",
                                 frozenset({AULNAY}))
    assert [(p.row, p.column) for p in prepared.problems] == [(2, "insee")]
    assert "dans la base, cette ligne est à 92048 (Meudon)" in prepared.problems[0].expected_fr
    # Its own project, moved away by the editor: the new commune is not its own.
    away = f"project_id;edition_id;name;insee\nistya;1;Istya;{MEUDON}\n"
    prepared = importing.prepare(reference_con, parsed(away, "projects"), "projects", "upsert", frozenset({AULNAY}))
    assert [(p.row, p.column) for p in prepared.problems] == [(2, "insee")]
    assert "92048 (Meudon) n'en fait pas partie" in prepared.problems[0].expected_fr
    # The same edit by a programme manager concerns both communes.
    moved = importing.prepare(reference_con, parsed(away, "projects"), "projects", "upsert")
    assert moved.ok and moved.communes == [MEUDON, AULNAY]


def test_replace_mode_is_refused_to_a_commune_editor(reference_con):
    prepared = importing.prepare(reference_con, parsed(VALUES + ISTYA), "indicator_values", "replace",
                                 frozenset({AULNAY}))
    assert [(p.row, p.column) for p in prepared.problems] == [(None, None)]
    assert "le mode append ou upsert" in prepared.problems[0].expected_fr
    everyone = importing.prepare(reference_con, parsed(VALUES + ISTYA), "indicator_values", "replace")
    assert everyone.ok and everyone.communes is None  # replace rewrites every commune's rows


# --- the command line ---------------------------------------------------------------------------------------


def test_cli_commune_editor_gets_exit_2_and_the_row_message_and_the_database_is_byte_identical(live, tmp_path):
    file = write(tmp_path, ONE_ROW_OF_MEUDON)
    before = digest(live.parent)
    done = run("import", file, "--table", "indicator_values", "--db", live, "--role", "commune_editor",
               "--scope", AULNAY)
    assert done.returncode == 2, done.stderr
    assert "Import refusé : 1 erreur(s), rien n'a été écrit" in done.stderr
    assert ROW_OF_MEUDON in done.stderr
    assert "Traceback" not in done.stderr
    assert digest(live.parent) == before  # the database, and nothing beside it (no version, no audit line)
    # The same file by a programme manager publishes, and the audit log says who, as what, for which communes.
    done = run("import", file, "--table", "indicator_values", "--db", live, "--role", "programme_manager",
               "--by", "cheffe")
    assert done.returncode == 0, done.stderr
    assert digest(live.parent) != before
    entry = publishing.audit_entries(live)[-1]
    assert (entry["by"], entry["role"], entry["scope"], entry["communes"]) == \
        ("cheffe", "programme_manager", None, [MEUDON, AULNAY])
    assert entry["added"] == 3
    line = json.loads((live.parent / "audit.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert line["role"] == "programme_manager" and line["communes"] == [MEUDON, AULNAY]


def test_cli_as_a_declared_identity_takes_its_role_and_scope(live, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[roles]\n"agent@ville-aulnay.fr" = { role = "commune_editor", scope = ["93005"] }\n'
                       '"elu@example.org" = { role = "reader" }\n', encoding="utf-8")
    before = digest(live.parent)
    refused = run("import", write(tmp_path, ONE_ROW_OF_MEUDON), "--table", "indicator_values", "--db", live,
                  "--as", "agent@ville-aulnay.fr", "--secrets", secrets)
    assert refused.returncode == 2 and ROW_OF_MEUDON in refused.stderr
    reader = run("import", write(tmp_path, VALUES + ISTYA), "--table", "indicator_values", "--db", live,
                 "--as", "elu@example.org", "--secrets", secrets)
    assert reader.returncode == 2 and "ne permet pas d'importer" in reader.stderr
    unknown = run("import", write(tmp_path, VALUES + ISTYA), "--table", "indicator_values", "--db", live,
                  "--as", "inconnu@example.org", "--secrets", secrets)
    assert unknown.returncode == 2 and "ni une adresse de [roles]" in unknown.stderr
    assert digest(live.parent) == before
    mine = run("import", write(tmp_path, VALUES + ISTYA), "--table", "indicator_values", "--db", live,
               "--as", "agent@ville-aulnay.fr", "--secrets", secrets)
    assert mine.returncode == 0, mine.stderr
    entry = publishing.audit_entries(live)[-1]
    assert (entry["by"], entry["role"], entry["scope"], entry["communes"]) == \
        ("agent@ville-aulnay.fr", "commune_editor", [AULNAY], [AULNAY])
    row = publishing.history(live)[0]
    assert (row["role"], row["scope"], row["communes"]) == ("commune_editor", [AULNAY], [AULNAY])


@pytest.mark.parametrize("arguments, said", [
    (("--role", "commune_editor"), "scope = la liste des codes INSEE"),
    (("--role", "programme_manager", "--scope", AULNAY), "--scope : pour --role commune_editor seulement"),
    (("--scope", "Aulnay"), "scope = la liste des codes INSEE"),
    (("--as", "x@y.fr", "--role", "reader"), "--as ou bien --role/--scope"),
])
def test_cli_role_arguments_not_understood_exit_2(live, tmp_path, arguments, said):
    done = run("import", write(tmp_path, VALUES + ISTYA), "--table", "indicator_values", "--db", live, *arguments)
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr


def test_only_an_administrator_rolls_back(live, tmp_path):
    for day in ("31/03/2024", "30/04/2024"):
        assert run("import", write(tmp_path, VALUES + f"istya;qualite-air-interieur;{day};7\n"), "--table",
                   "indicator_values", "--db", live).returncode == 0
    version = publishing.archived_versions(live)[-1]
    before = digest(live.parent)
    for role in (("--role", "programme_manager"), ("--scope", AULNAY)):
        done = run("rollback", version, "--db", live, *role)
        assert done.returncode == 2 and "seul un administrateur" in done.stderr
    assert digest(live.parent) == before
    with pytest.raises(publishing.NotAllowed):
        publishing.rollback(live, version, by="x", role=roles.COMMUNE_EDITOR)
    done = run("rollback", version, "--db", live)  # the operator who holds the files: an administrator
    assert done.returncode == 0, done.stderr
    assert publishing.audit_entries(live)[-1]["role"] == "administrator"


def test_an_audit_log_from_before_roles_is_published_from_and_rolled_back_to(live, tmp_path):
    """A database whose audit_log lacks by_role, by_scope, communes (made before them) still takes imports; a
    rollback to such a version gets the columns back."""
    import duckdb

    assert run("import", write(tmp_path, VALUES + ISTYA), "--table", "indicator_values", "--db", live).returncode == 0
    con = duckdb.connect(str(live))
    for column in ("by_role", "by_scope", "communes"):
        con.execute(f"ALTER TABLE audit_log DROP COLUMN {column}")
    con.execute("CHECKPOINT")
    con.close()
    older = publishing.current_version(live)
    result = publishing.publish_import(live, parsed(VALUES + "istya;qualite-air-interieur;30/04/2024;8\n"),
                                       "indicator_values", "append", by="cheffe", role=roles.PROGRAMME_MANAGER)
    assert result.entry["role"] == "programme_manager"
    with duckdb.connect(str(live), read_only=True) as con:  # the new version's table: NULL for the older entry
        assert con.execute("SELECT by_role FROM audit_log ORDER BY logged_at").fetchall() == \
            [(None,), ("programme_manager",)]
    back = publishing.rollback(live, older, by="dsi")
    assert back.version == older and not publishing.verify(live)  # verify: the schema as schema.sql declares it
    with duckdb.connect(str(live), read_only=True) as con:
        assert con.execute("SELECT by_role FROM audit_log ORDER BY logged_at").fetchall() == \
            [(None,), ("programme_manager",), ("administrator",)]


# --- templates ------------------------------------------------------------------------------------------------


def test_a_commune_editors_template_is_pre_filled_with_its_rows_and_imports_back_unchanged(reference_con, tmp_path):
    out = tmp_path / "projets.xlsx"
    templates.write_template("projects", out, reference_con, frozenset({AULNAY}))
    book = openpyxl.load_workbook(out)
    sheet = book["projects"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=3)]
    assert {r["project_id"] for r in rows} == {"istya", "modulatio", "purple", "soy-pv", "technocarbon", "tiquest",
                                               "worm-generation"}
    assert {r["insee"] for r in rows} == {AULNAY} and all(r["source_id"] is None for r in rows)
    assert AULNAY in references(book) and MEUDON not in references(book)  # insee: its communes only
    again = readers.read_file(out.read_bytes(), out.name, "projects")
    prepared = importing.prepare(reference_con, again, "projects", "upsert", frozenset({AULNAY}))
    assert prepared.ok, [p.message_fr for p in prepared.problems]
    assert prepared.counts["projects"].unchanged == 7 and prepared.counts["projects"].updated == 0
    with pytest.raises(ValueError):
        templates.write_template("editions", tmp_path / "e.xlsx", reference_con, frozenset({AULNAY}))
    with pytest.raises(ValueError):
        templates.write_template("projects", tmp_path / "p.csv", reference_con, frozenset({AULNAY}))


def test_a_measurement_template_holds_the_measurements_of_its_communes_projects(live, tmp_path, reference_con):
    assert run("import", write(tmp_path, ONE_ROW_OF_MEUDON), "--table", "indicator_values",
               "--db", live).returncode == 0
    out = tmp_path / "mesures.xlsx"
    done = run("template", "--table", "indicator_values", "--out", out, "--db", live, "--scope", AULNAY)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert sorted(row[0].value for row in book["indicator_values"].iter_rows(min_row=3)) == ["istya", "istya"]
    assert "istya" in references(book) and "faradae" not in references(book)  # project_id: its communes' projects


def references(book) -> set:
    return {cell.value for column in book["Références"].iter_cols() for cell in column}
