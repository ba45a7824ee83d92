"""The accessibility statement (déclaration d'accessibilité, in the RGAA's standard form) generated from the
audit's results: docs/accessibility/audit.json, written by tests/test_browser_accessibility.py (axe-core in
Chromium on every dashboard page). The statement states what was measured, never more."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from qmi_metrics.outputs import escape
from qmi_metrics.present import formatting
from qmi_metrics.present.i18n import N_, _

AUDIT_FILE = Path(__file__).resolve().parents[2] / "docs" / "accessibility" / "audit.json"
FAILING_IMPACTS = ("critical", "serious")  # what fails the audit (and the browser test)
IMPACTS = {"critical": N_("critique"), "serious": N_("sérieuse"), "moderate": N_("modérée"), "minor": N_("mineure")}
# The RGAA 4.1 criterion each axe rule tests, for the rules this dashboard has met (others: « — »).
RGAA_CRITERIA = {
    "color-contrast": "3.2", "list": "9.3", "listitem": "9.3", "heading-order": "9.1", "html-has-lang": "8.3",
    "html-lang-valid": "8.4", "scrollable-region-focusable": "7.3", "image-alt": "1.1", "label": "11.1",
    "button-name": "11.9", "link-name": "6.2", "frame-title": "2.1", "aria-allowed-attr": "7.1",
}
DEFENSEUR_FORM = "https://formulaire.defenseurdesdroits.fr/"
DEFENSEUR_DELEGATES = "https://www.defenseurdesdroits.fr/saisir/delegues"


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    pages: tuple[str, ...]  # page names (dashboard/registry.py)

    @property
    def failing(self) -> bool:
        return self.impact in FAILING_IMPACTS


@dataclass(frozen=True)
class Audit:
    date: str          # ISO 8601 day
    tool: str          # "axe-core"
    tool_version: str
    browser: str
    viewport: str      # "1400x1000"
    pages: tuple[str, ...]
    violations: tuple[Violation, ...]

    @property
    def compliance(self) -> str:
        """RGAA's wording: « partiellement conforme » at best, since an automatic audit covers only part of the
        criteria and no full RGAA audit was done; « non conforme » while a serious or critical rule fails."""
        return N_("non conforme") if any(v.failing for v in self.violations) else N_("partiellement conforme")


def audit_record(date: str, tool_version: str, browser: str, viewport: str,
                 results: dict[str, list[dict]]) -> dict:
    """What audit.json holds, from axe's violations per page name: one entry per rule, with its pages."""
    rules: dict[str, dict] = {}
    for name, violations in results.items():
        for found in violations:
            entry = rules.setdefault(found["id"], {"rule": found["id"], "impact": found["impact"],
                                                   "help": found["help"], "pages": {}})
            entry["pages"][name] = entry["pages"].get(name, 0) + len(found["nodes"])
    return {"date": date, "tool": "axe-core", "tool_version": tool_version, "browser": browser, "viewport": viewport,
            "pages": list(results), "violations": sorted(rules.values(), key=lambda r: r["rule"])}


def load(path: Path = AUDIT_FILE) -> Audit:
    record = json.loads(path.read_text(encoding="utf-8"))
    return Audit(date=record["date"], tool=record["tool"], tool_version=record["tool_version"],
                 browser=record["browser"], viewport=record["viewport"], pages=tuple(record["pages"]),
                 violations=tuple(Violation(v["rule"], v["impact"], tuple(v["pages"])) for v in record["violations"]))


def contact_link(contact: str) -> str:
    """The configured contact as a Markdown link: an e-mail address as mailto:, a web address as itself, anything
    else as plain text."""
    text = escape.markdown(contact)
    if re.fullmatch(r"[^@\s()<>]+@[^@\s()<>]+\.[^@\s()<>]+", contact):
        return f"[{text}](mailto:{contact})"
    if re.fullmatch(r"https?://[^\s()<>]+", contact):
        return f"[{text}]({contact})"
    return text


def statement(audit: Audit, lang: str, titles: dict[str, str], contact: str | None) -> list[tuple[str, str]]:
    """The statement as (section title, Markdown body) in `lang`; `titles` names the pages (registry's), `contact`
    is the setting QMI_ACCESSIBILITY_CONTACT (None: said to be not configured)."""
    day = formatting.date(audit.date, "day", lang)

    def named(names) -> str:
        return ", ".join(titles.get(name, name) for name in names)

    failing = [v for v in audit.violations if v.failing]
    reason = (_(lang, "l'audit automatique relève {n} règle(s) de gravité sérieuse ou critique non respectée(s).",
                n=len(failing)) if failing else
              _(lang, "l'audit automatique ne relève aucune violation de gravité sérieuse ou critique, mais il ne "
                      "couvre qu'une partie des critères du RGAA et aucun audit complet n'a été réalisé."))
    found = "\n".join(
        "- " + _(lang, "règle axe `{rule}` (gravité {impact}, critère RGAA {criterion}) : {pages}",
                 rule=v.rule, impact=_(lang, IMPACTS.get(v.impact, v.impact)),
                 criterion=RGAA_CRITERIA.get(v.rule, "—"), pages=named(v.pages))
        for v in audit.violations) or _(lang, "L'audit automatique ne relève aucune violation sur les pages auditées.")
    reach = contact_link(contact) if contact else _(lang, "adresse non configurée (réglage QMI_ACCESSIBILITY_CONTACT)")
    return [
        (_(lang, "État de conformité"),
         _(lang, "Le tableau de bord QMI est **{status}** avec le référentiel général d'amélioration de "
                 "l'accessibilité (RGAA) version 4.1 : {reason}", status=_(lang, audit.compliance), reason=reason)),
        (_(lang, "Résultats des tests"),
         _(lang, "Audit automatique du {day} avec {tool} {version} dans {browser}, fenêtre de {viewport} pixels, "
                 "sur {n} pages : {pages}.", day=day, tool=audit.tool, version=audit.tool_version,
           browser=audit.browser, viewport=audit.viewport.replace("x", " × "), n=len(audit.pages),
           pages=named(audit.pages))),
        (_(lang, "Contenus non accessibles"),
         found + "\n\n" + _(lang, "Un audit automatique ne vérifie pas tout : la pertinence des alternatives "
                                  "textuelles des graphiques et de la carte, des titres et des intitulés, et l'usage "
                                  "avec un lecteur d'écran restent à auditer à la main.")),
        (_(lang, "Dérogations"), _(lang, "Aucune.")),
        (_(lang, "Établissement de cette déclaration"),
         _(lang, "Cette déclaration a été établie le {day} à partir de l'audit enregistré dans le dépôt "
                 "(docs/accessibility/audit.json). Technologies utilisées : HTML, CSS, JavaScript (Streamlit).",
           day=day)),
        (_(lang, "Retour d'information et contact"),
         _(lang, "Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez le responsable du tableau "
                 "de bord pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre "
                 "forme : {contact}.", contact=reach)),
        (_(lang, "Voies de recours"),
         _(lang, "Si vous avez signalé un défaut d'accessibilité qui vous empêche d'accéder à un contenu ou à un "
                 "service et n'avez pas obtenu de réponse satisfaisante, vous pouvez :") + "\n\n"
         + "\n".join([
             "- " + _(lang, "écrire un message au Défenseur des droits ({url}) ;", url=DEFENSEUR_FORM),
             "- " + _(lang, "contacter le délégué du Défenseur des droits dans votre région ({url}) ;",
                      url=DEFENSEUR_DELEGATES),
             "- " + _(lang, "envoyer un courrier par la poste (gratuit, ne pas mettre de timbre) : Défenseur des "
                            "droits, Libre réponse 71120, 75342 Paris CEDEX 07."),
         ])),
    ]
