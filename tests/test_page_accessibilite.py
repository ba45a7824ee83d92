"""The « Accessibilité » page: the accessibility statement rendered from docs/accessibility/audit.json (the browser
audit's results, tests/test_browser_accessibility.py), in French and in English, with the configured contact."""

from __future__ import annotations

import dataclasses
import json

import pytest
from helpers import open_page

from qmi_metrics.present import accessibility, formatting


def statement_text(at) -> str:
    return "\n".join([h.value for h in at.header] + [m.value for m in at.markdown])


@pytest.mark.parametrize("lang, title, status, sections, pages", [
    ("fr", "Déclaration d'accessibilité", {"non conforme", "partiellement conforme"},
     ["État de conformité", "Résultats des tests", "Contenus non accessibles", "Dérogations",
      "Retour d'information et contact", "Voies de recours"], ["Carte des quartiers", "Mode présentation"]),
    ("en", "Accessibility statement", {"non-compliant", "partially compliant"},
     ["Compliance status", "Test results", "Non-accessible content", "Exemptions", "Feedback and contact",
      "Remedies"], ["District map"]),
])
def test_the_page_states_the_recorded_audit(monkeypatch, reference_db_path, lang, title, status, sections, pages):
    audit = accessibility.load()
    at = open_page(monkeypatch, reference_db_path, "accessibilite", lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value == title
    headers = [h.value for h in at.header]
    assert all(section in headers for section in sections), headers
    text = statement_text(at)
    shown = {s for s in status if f"**{s}**" in text}
    assert len(shown) == 1, shown  # one status, the one the audit gives
    assert (audit.compliance == "non conforme") == (shown <= {"non conforme", "non-compliant"})
    assert formatting.date(audit.date, "day", lang) in text and audit.tool_version in text
    assert f"{len(audit.pages)} pages" in text and all(page in text for page in pages)
    assert "QMI_ACCESSIBILITY_CONTACT" in text  # no contact configured: said so
    assert "Défenseur des droits" in text


def test_the_statement_follows_the_audit_file_and_the_contact(tmp_path):
    """A failing rule makes it « non conforme » and is listed with its pages and RGAA criterion; a configured
    contact is shown instead of the placeholder."""
    record = accessibility.audit_record("2026-11-30", "4.12.1", "Chromium 1", "1400x1000", {
        "carte": [{"id": "color-contrast", "impact": "serious", "help": "contrast", "nodes": [{}, {}]}],
        "projets": [{"id": "color-contrast", "impact": "serious", "help": "contrast", "nodes": [{}]},
                    {"id": "region", "impact": "moderate", "help": "landmarks", "nodes": [{}]}]})
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    audit = accessibility.load(path)
    assert audit.compliance == "non conforme"
    assert record["violations"][0]["pages"] == {"carte": 2, "projets": 1}
    body = dict(accessibility.statement(audit, "fr", {"carte": "Carte", "projets": "Projets"}, "a11y@exemple.fr"))
    assert "**non conforme**" in body["État de conformité"] and "1 règle(s)" in body["État de conformité"]
    assert "`color-contrast` (gravité sérieuse, critère RGAA 3.2) : Carte, Projets" in body["Contenus non accessibles"]
    assert "`region` (gravité modérée, critère RGAA —) : Projets" in body["Contenus non accessibles"]
    assert "30 novembre 2026" in body["Résultats des tests"]
    assert "(mailto:a11y@exemple.fr)" in body["Retour d'information et contact"]
    assert accessibility.contact_link("https://exemple.fr/a11y").endswith("](https://exemple.fr/a11y)")
    assert "](" not in accessibility.contact_link("écrire à la mairie (accueil)")
    assert "QMI_ACCESSIBILITY_CONTACT" not in body["Retour d'information et contact"]
    # Only moderate rules left: partially compliant (an automatic audit never makes it fully compliant).
    assert dataclasses.replace(audit, violations=audit.violations[1:]).compliance == "partiellement conforme"
