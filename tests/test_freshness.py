"""Freshness (qmi_metrics/reads/freshness.py, present/freshness.py), the « À mettre à jour » page, and « Données
publiées le … » on every output: thresholds at their boundaries with a fixed clock, the last update's basis and
who made it, the page on a synthetic database with one late project, and its exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil

import duckdb
import openpyxl
import pytest
from helpers import download_bytes, open_page, show_view, shown
from pptx import Presentation

from dashboard import registry
from dashboard.ui import widgets
from qmi_metrics.admin import auth, publishing, readers
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, escape, pptx, reports, sheet_html, slideshow
from qmi_metrics.outputs.document import Chart
from qmi_metrics.present import formatting, narratives
from qmi_metrics.present import freshness as words
from qmi_metrics.reads import freshness
from qmi_metrics.store import db, loader, rollups, settings, synthetic

DAY = dt.date(2026, 12, 7)  # a Monday
PUBLISHED = "Données publiées le "


# --- the thresholds ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("age, expected", [(0, "current"), (29, "current"), (30, "current"), (31, "late"),
                                           (89, "late"), (90, "late"), (91, "stale"), (1000, "stale")])
def test_default_thresholds_at_their_boundaries(age, expected):
    """30 and 90 days: « à jour » up to 30 days included, « en retard » up to 90 included, then « obsolète »."""
    assert freshness.state(DAY - dt.timedelta(days=age), DAY) == expected


def test_nothing_dated_is_not_known_and_a_future_date_is_current():
    assert freshness.state(None, DAY) is None and freshness.state(float("nan"), DAY) is None
    assert freshness.state(DAY + dt.timedelta(days=3), DAY) == "current"  # dated ahead (a planned event): not late
    assert words.thresholds_text(freshness.Thresholds()).startswith(
        "À jour : dernière mise à jour il y a 30 jours au plus ; en retard : de 31 à 90 jours ; obsolète : plus de 90")
    from qmi_metrics.present import vocabulary

    assert vocabulary.freshness_state(None) == "non renseigné" and vocabulary.freshness_state("stale", "en") == "stale"
    assert vocabulary.freshness_state("late", "en") == "late" and vocabulary.freshness_state("current", "en") == "up to date"


def test_thresholds_come_from_the_environment_then_secrets_and_are_checked():
    assert freshness.thresholds({}, {}) == freshness.Thresholds(30, 90)
    configured = freshness.thresholds({"freshness": {"late_after_days": 7, "stale_after_days": 21}},
                                      {"QMI_STALE_AFTER_DAYS": "28"})
    assert configured == freshness.Thresholds(7, 28)
    assert [freshness.state(DAY - dt.timedelta(days=a), DAY, configured) for a in (7, 8, 28, 29)] == [
        "current", "late", "late", "stale"]
    with pytest.raises(settings.SettingError, match="QMI_LATE_AFTER_DAYS"):
        freshness.thresholds({}, {"QMI_LATE_AFTER_DAYS": "un mois"})
    with pytest.raises(settings.SettingError, match="0 < retard < obsolète"):
        freshness.thresholds({}, {"QMI_LATE_AFTER_DAYS": "90", "QMI_STALE_AFTER_DAYS": "90"})


# --- the reference database: what the dates rest on ----------------------------------------------------------------

@pytest.mark.parametrize("today, state, age", [(dt.date(2024, 12, 1), "current", 30), (dt.date(2024, 12, 2), "late", 31),
                                               (dt.date(2025, 1, 30), "late", 90), (dt.date(2025, 1, 31), "stale", 91)])
def test_purple_on_the_reference_database_with_a_fixed_clock(reference_con, today, state, age):
    """Purple's last dated status is its deployment, « novembre 2024 » in the report (stored as 1 November)."""
    row = freshness.projects(reference_con, today).set_index("project_id").loc["purple"]
    assert (row["state"], row["age_days"], row["last_update_kind"]) == (state, age, "status")
    assert freshness.day_of(row["last_update_on"]) == dt.date(2024, 11, 1) and row["last_status_precision"] == "month"
    assert row["last_update_basis"] == "stated" and row["last_import_by"] is None


def test_updates_after_the_clock_are_not_seen_and_inferred_dates_say_so(reference_con):
    early = freshness.projects(reference_con, dt.date(2023, 7, 1)).set_index("project_id")
    assert freshness.day_of(early.loc["purple", "last_update_on"]) == dt.date(2023, 6, 1)  # its start, not yet deployed
    assert early.loc["purple", "last_update_basis"] == "inferred" and early.loc["purple", "state"] == "current"
    assert "juin 2023" in early.loc["purple", "last_update_rule"]
    now = freshness.projects(reference_con, DAY)
    assert len(now) == 28 and set(now["state"]) == {"stale"} and now["last_import_by"].isna().all()
    assert not freshness.any_import(reference_con)
    assert words.what_the_dates_rest_on(False, False).startswith("Aucun import n'a encore été publié : les dates sont"
                                                                 " celles des événements que les documents publics")
    table = words.project_table(now.set_index("project_id").loc[["purple"]].reset_index(), DAY, freshness.Thresholds())
    assert table.iloc[0].to_dict() == {
        "commune": "Aulnay-sous-Bois", "projet": "Purple", "état": "obsolète", "dernière mise à jour": "novembre 2024",
        "nature": "statut daté", "depuis": "766 jours", "ce qui manque": "aucune mesure ; aucun statut depuis novembre 2024 ; protocole incomplet (1 indicateur)",
        "qui": "non renseigné", "base": "énoncé", "identifiant": "purple"}
    communes = freshness.communes(reference_con, DAY, per_project=now)
    assert sorted(communes["commune"]) == ["Aulnay-sous-Bois", "Meudon", "Noisy-le-Grand", "Sceaux"]
    assert communes["projects"].sum() == 28 and (communes["stale_projects"] == communes["projects"]).all()


def test_an_import_is_an_update_and_says_who(reference_db_path, tmp_path):
    path = tmp_path / "qmi.duckdb"
    shutil.copyfile(reference_db_path, path)
    result = publishing.publish_import(path, readers.read_file(
        b"project_id;indicator_id;measured_on;value\npelican;marchandises-transportees;2024-03-15;800\n",
        "mesures.csv", "indicator_values"), "indicator_values", by="carol@example.org")
    logged = dt.datetime.fromisoformat(result.entry["at"].replace("Z", "+00:00"))
    with db.connect(path) as con:
        found = freshness.projects(con, logged.date() + dt.timedelta(days=3)).set_index("project_id")
        pelican = found.loc["pelican"]
        assert (pelican["last_update_kind"], pelican["state"], pelican["age_days"]) == ("import", "current", 3)
        assert pelican["last_import_by"] == "carol@example.org" and pelican["last_import_file"] == "mesures.csv"
        assert freshness.day_of(pelican["last_measurement_on"]) == dt.date(2024, 3, 15)
        # The measurement itself is old: what the project lacks says so, even though the import is recent.
        assert words.missing(pelican, logged.date(), freshness.Thresholds()) == [
            "aucune mesure depuis le 15 mars 2024", "aucun statut depuis été 2024", "protocole incomplet (2 indicateurs)"]
        assert found.drop("pelican")["last_import_by"].isna().all()  # nobody else's rows came from that file
        meudon = freshness.communes(con, logged.date(), per_project=found.reset_index()).set_index("commune").loc["Meudon"]
        assert meudon["last_import_by"] == "carol@example.org" and meudon["state"] == "current"
        assert freshness.any_import(con)
        # Before the import, it was not there.
        assert freshness.projects(con, logged.date() - dt.timedelta(days=1)).set_index("project_id").loc[
            "pelican", "last_update_kind"] == "status"


# --- « Données publiées le … » on every output ---------------------------------------------------------------------

def test_the_publication_line_is_the_versions_time(reference_db_path, tmp_path):
    with db.connect(reference_db_path) as con:
        built = db.publication(con)
    assert built.version == publishing.current_version(reference_db_path)
    assert built.at == db.version_time(built.version)
    line = narratives.published_line(built)
    assert line == (f"Données publiées le {formatting.date(built.at.date(), 'day', 'fr')} à {built.at:%H:%M} UTC"
                    f" (version {built.version}).")
    assert narratives.published_line(built, "en").startswith("Data published on ")
    assert narratives.published_line(db.Publication(None, None)) == "Date de publication des données non renseignée."
    with duckdb.connect() as empty:  # in memory: no file, no time
        empty.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
        assert db.publication(empty) == db.Publication(None, None)


def test_reports_slides_pptx_and_exports_say_when_the_data_were_published(reference_con):
    line = narratives.published_line(db.publication(reference_con))
    assert line.startswith(PUBLISHED)
    sheet = reports.project_sheet(reference_con, "purple")
    sheet.blocks = [b for b in sheet.blocks if not isinstance(b, Chart)]  # kaleido would start Chromium for them
    html = sheet_html.to_html(sheet)
    assert sheet.footer.endswith(line) and f'<p class="running-foot">{escape.html(sheet.footer)}</p>' in html
    assert f"<footer>{escape.html(sheet.footer)}</footer>" in html  # on screen, and on every printed page
    event = deck.build(reference_con, Filters(edition=1))
    assert event.published == line and line in slideshow.render(event, 15)
    slides = Presentation(io.BytesIO(pptx.edition_deck(reference_con, 1))).slides
    assert len(slides) > 5
    for slide in slides:
        assert any(line in shape.text_frame.text for shape in slide.shapes if shape.has_text_frame), slide
    book = openpyxl.load_workbook(io.BytesIO(widgets.to_excel(freshness.projects(reference_con, DAY)[["name"]],
                                                              about=(line,))))
    assert book.sheetnames == ["données", widgets.ABOUT_SHEET]
    assert [c.value for c in book[widgets.ABOUT_SHEET]["A"]] == [widgets.ABOUT_SHEET, line]


# --- the page ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def one_late_project(tmp_path_factory):
    """A small synthetic database (its series end in June 2026: every project stale today) where one project got
    a measurement 45 days ago: late, by the real clock the page reads."""
    path = tmp_path_factory.mktemp("late") / "demo.duckdb"
    loader.build_synthetic(path, scale=1, seed=3)
    today = dt.datetime.now(dt.timezone.utc).date()
    with db.connect(path, read_only=False) as con:
        project = db.fetch_one(con, """
            SELECT p.project_id, p.name, c.name AS commune, pi.indicator_id FROM projects p
            JOIN communes c USING (insee) JOIN project_indicators pi USING (project_id)
            ORDER BY p.project_id, pi.indicator_id LIMIT 1""")
        con.execute("INSERT INTO indicator_values VALUES ($p, $i, $d, 12.5, $source, 'stated', NULL)",
                    {"p": project["project_id"], "i": project["indicator_id"], "d": today - dt.timedelta(days=45),
                     "source": synthetic.SYNTHETIC_SOURCE_ID})
        rollups.refresh(con)
    return path, project




def test_the_page_shows_the_late_project_and_exports_it(monkeypatch, one_late_project, downloads):
    path, project = one_late_project
    at = open_page(monkeypatch, path, "a_mettre_a_jour", timeout=90)
    assert not at.exception, at.exception
    assert at.title[0].value == "À mettre à jour"
    assert any(c.value.startswith(PUBLISHED) for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Projets en retard"] == "1"
    communes, projects = at.dataframe[0].value, at.dataframe[1].value
    late = projects[projects["état"] == "en retard"]
    assert late[["commune", "projet", "nature", "depuis"]].values.tolist() == [
        [project["commune"], project["name"], "mesure", "45 jours"]]
    # Who imported (names, e-mail addresses) is for those who import: a reader sees that it is kept from them.
    assert "qui" not in projects.columns and "qui" not in communes.columns
    assert any("La colonne « qui »" in c.value for c in at.caption)
    assert communes.set_index("commune").loc[project["commune"], "état"] == "en retard"
    assert any("données synthétiques" in c.value for c in at.caption)
    files = {name: download_bytes(data) for name, data in downloads.items()}
    exported = list(csv.DictReader(io.StringIO(files["qmi_a_mettre_a_jour.csv"].decode("utf-8-sig"))))
    assert [(r["projet"], r["état"]) for r in exported if r["identifiant"] == project["project_id"]] == [
        (project["name"], "en retard")]
    book = openpyxl.load_workbook(io.BytesIO(files["qmi_a_mettre_a_jour.xlsx"]))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("commune", "projet", "état") and (project["commune"], project["name"], "en retard") in [
        r[:3] for r in rows[1:]]
    about = [c.value for c in book[widgets.ABOUT_SHEET]["A"]]
    assert about[1].startswith(PUBLISHED) and about[2].startswith("DONNÉES SYNTHÉTIQUES")
    # Another commune only: the late project leaves the list, the others stay stale.
    with db.connect(path) as con:
        elsewhere = db.fetch_value(con, "SELECT insee FROM projects WHERE insee <> (SELECT insee FROM projects"
                                        " WHERE project_id = $p) LIMIT 1", {"p": project["project_id"]})
    show_view(at, "all", [elsewhere])
    assert not at.exception and {m.label: m.value for m in at.metric}["Projets en retard"] == "0"


def test_the_page_on_the_reference_database_says_what_its_dates_rest_on(monkeypatch, reference_db_path):
    at = open_page(monkeypatch, reference_db_path, "a_mettre_a_jour", timeout=90)
    assert not at.exception, at.exception
    notes = shown("\n".join(c.value for c in at.caption))
    assert "Aucun import n'a encore été publié" in notes and "inféré" in notes
    assert {m.label: m.value for m in at.metric}["Projets obsolètes"] == "28"
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception and at.title[0].value == "To update"
    assert any(c.value.startswith("Data published on ") for c in at.caption)


def test_who_imported_is_shown_to_a_signed_in_programme_manager(monkeypatch, one_late_project):
    path, project = one_late_project
    password = "un mot de passe assez long"
    secrets = {"accounts": {"programme": {"password_hash": auth.hash_password(password),
                                          "role": "programme_manager"}}}
    at = open_page(monkeypatch, path, "administration", secrets=secrets, timeout=90)
    at.text_input[0].input("programme")
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    at.switch_page(registry.page("a_mettre_a_jour").file).run()
    assert not at.exception, at.exception
    communes, projects = at.dataframe[0].value, at.dataframe[1].value
    late = projects[projects["état"] == "en retard"]
    assert late[["projet", "qui"]].values.tolist() == [[project["name"], "non renseigné"]]  # measured, not imported
    assert "qui" in communes.columns
    assert not any("La colonne « qui »" in c.value for c in at.caption)
