"""The week's digest (qmi_metrics/outputs/digest.py, `python -m qmi_metrics digest`): a fixed scenario on a copy of
the reference database — two imports, one status change, one project turning stale — read back line by line from
the HTML body and the CSV attachments."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qmi_metrics.admin import publishing, readers
from qmi_metrics.outputs import digest
from qmi_metrics.present import formatting
from qmi_metrics.store import db, rollups

REPO = Path(__file__).resolve().parent.parent


def day(d: dt.date) -> str:
    return formatting.date(d, "day", "fr")


@pytest.fixture(scope="module")
def scenario(reference_db_path, tmp_path_factory):
    """Istya's last dated status put 93 days back (it was late a week ago, it is stale now); then alice imports
    Modulatio's deployment, dated two days ago, and bob a measurement of Pelican's, dated yesterday."""
    folder = tmp_path_factory.mktemp("digest")
    path = folder / "qmi.duckdb"
    shutil.copyfile(reference_db_path, path)
    today = dt.datetime.now(dt.timezone.utc).date()
    with db.connect(path, read_only=False) as con:
        con.execute("UPDATE project_events SET date_start = $d, date_precision = 'day', basis = 'stated',"
                    " basis_rule = NULL WHERE event_id = 'istya-started'", {"d": today - dt.timedelta(days=93)})
        rollups.refresh(con)
    first = publishing.publish_import(path, readers.read_file(
        f"project_id;kind;date_start;date_precision\nmodulatio;deployed;{today - dt.timedelta(days=2)};day\n".encode(), "modulatio.csv",
        "project_events"), "project_events", by="alice")
    second = publishing.publish_import(path, readers.read_file(
        f"project_id;indicator_id;measured_on;value\npelican;marchandises-transportees;{today - dt.timedelta(days=1)};"
        "1250\n".encode(), "pelican.csv", "indicator_values"), "indicator_values", by="bob")
    end = dt.datetime.now(dt.timezone.utc)
    return {"path": path, "today": today, "end": end, "first": first, "second": second,
            "built": first.previous_version}


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_the_digest_of_the_week_line_by_line(scenario, tmp_path):
    found = digest.build(scenario["path"], scenario["end"], digest.parse_period("7d"))
    written = digest.write(found, tmp_path)
    assert [p.name for p in written] == ["digest.html", "imports.csv", "statuts.csv", "mesures.csv", "retards.csv",
                                         "constats.csv"]
    today, first, second = scenario["today"], scenario["first"], scenario["second"]

    def at(result) -> str:
        moment = dt.datetime.fromisoformat(result.entry["at"].replace("Z", "+00:00"))
        return f"{day(moment.date())} {moment:%H:%M} UTC"

    assert rows(tmp_path / "imports.csv") == [
        ["date", "qui", "action", "fichier", "table", "lignes ajoutées", "lignes mises à jour", "version"],
        [at(first), "alice", "import", "modulatio.csv", "project_events", "1", "0", first.version],
        [at(second), "bob", "import", "pelican.csv", "indicator_values", "1", "0", second.version],
    ]
    assert rows(tmp_path / "statuts.csv") == [
        ["commune", "projet", "statut", "date", "qui", "base"],
        ["Aulnay-sous-Bois", "Modulatio'", "● déployé", day(today - dt.timedelta(days=2)), "alice", "énoncé"],
    ]
    assert rows(tmp_path / "mesures.csv") == [
        ["commune", "projet", "indicateur", "mesures", "dernière valeur", "mesurée le", "qui"],
        ["Meudon", "Pelican", "Marchandises transportées à vélo", "1", "1\u202f250 kg",
         day(today - dt.timedelta(days=1)), "bob"],
    ]
    assert rows(tmp_path / "retards.csv") == [
        ["commune", "projet", "état au début", "état", "dernière mise à jour", "nature", "depuis", "ce qui manque",
         "qui", "base", "identifiant"],
        ["Aulnay-sous-Bois", "Istya", "en retard", "obsolète", day(today - dt.timedelta(days=93)), "statut daté",
         "93 jours", f"aucune mesure ; aucun statut depuis le {day(today - dt.timedelta(days=93))} ; protocole incomplet"
         " (1 indicateur)", "non renseigné",
         "énoncé", "istya"],
    ]
    # Deploying Modulatio' and measuring Pelican move no published figure (see the next test for one that moves).
    assert rows(tmp_path / "constats.csv") == [["sujet", "avant", "maintenant", "ce qu'il faut savoir"]]
    html = (tmp_path / "digest.html").read_text(encoding="utf-8")
    assert "<h2>Imports et retours arrière (2)</h2>" in html and "<h2>Changements de statut (1)</h2>" in html
    assert "<h2>Nouvelles mesures (1)</h2>" in html and "<h2>Projets passés en retard ou obsolètes (1)</h2>" in html
    assert "<h2>Constats qui ont changé (0)</h2><p>Aucun constat n&#x27;a changé.</p>" in html
    assert f"Comparé à la version {scenario['built']}, en service au début de la période." in html
    assert f"Données publiées le {day(today)}" in html and f"(version {second.version})" in html
    assert "<td>alice</td>" in html and "<td>bob</td>" in html and "<td>Istya</td>" in html


def test_findings_that_changed_are_read_against_the_kept_version(scenario, tmp_path):
    """The first import archived the built version (versions/): the findings are compared with it. Here the kept
    version is made to publish 3 départements instead of 2 (the data give 2): that finding moved from « ne
    confirment pas » to « confirmé », and it is the only line. Once the version is gone, the digest says it cannot
    compare instead of guessing."""
    copy = tmp_path / "qmi.duckdb"
    shutil.copyfile(scenario["path"], copy)
    shutil.copyfile(publishing.audit_path(scenario["path"]), publishing.audit_path(copy))
    shutil.copytree(publishing.versions_dir(scenario["path"]), publishing.versions_dir(copy))
    kept = publishing.version_path(copy, scenario["built"])
    with db.connect(kept, read_only=False) as old:
        old.execute("UPDATE published_figures SET value = 3 WHERE figure_id = 'rapport_departements'")
    section = digest.build(copy, scenario["end"], dt.timedelta(days=7)).sections[-1]
    assert section.table.values.tolist() == [[
        "Départements représentés dans la 1re édition", "Les données ne confirment pas", "Confirmé par les données",
        "Le rapport « Retours d'expérimentations » (2025) publie 2. Recalculé à partir de 4 ligne(s) : 2."]]
    assert section.note == f"Comparé à la version {scenario['built']}, en service au début de la période."
    kept.unlink()
    section = digest.build(copy, scenario["end"], dt.timedelta(days=7)).sections[-1]
    assert section.table.empty and section.empty == ("Comparaison impossible : la version des données du début de la"
                                                     " période n'est plus gardée dans versions/.")


def test_a_quiet_week_says_so_and_the_period_is_read_from_the_command_line(scenario, tmp_path):
    later = scenario["end"] + dt.timedelta(days=31)
    found = digest.build(scenario["path"], later, dt.timedelta(days=7))
    assert [len(s.table) for s in found.sections[:3]] == [0, 0, 0]
    assert [s.empty for s in found.sections[:3]] == ["Aucun import ni retour arrière.", "Aucun changement de statut.",
                                                     "Aucune nouvelle mesure."]
    # 31 days after the imports, Modulatio' and Pelican (updated by them) are late; a week before, they were current.
    assert set(found.sections[3].table["projet"]) == {"Modulatio'", "Pelican"}
    assert found.sections[4].empty.startswith("Aucun constat n'a changé")
    for bad in ("7", "0d", "sept jours", "-7d"):
        with pytest.raises(ValueError):
            digest.parse_period(bad)
    assert digest.parse_period("24h") == dt.timedelta(hours=24) and digest.parse_period("2w") == dt.timedelta(days=14)
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "digest", "--since", "7d", "--out", str(tmp_path / "d"),
                           "--db", str(scenario["path"]), "--now", later.isoformat()], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "d" / "digest.html").is_file() and len(rows(tmp_path / "d" / "retards.csv")) == 3
    refused = subprocess.run([sys.executable, "-m", "qmi_metrics", "digest", "--since", "une semaine", "--out",
                              str(tmp_path / "e"), "--db", str(scenario["path"])], cwd=REPO, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2 and "7d, 24h, 2w" in refused.stderr and not (tmp_path / "e").exists()
