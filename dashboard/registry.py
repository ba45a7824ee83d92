"""The dashboard's pages, declared once: app.py builds its navigation from this list, and the tests and
benchmarks read it. Adding a page = one line here + its file dashboard/<name>.py. No Streamlit import:
benchmarks read it without starting the app."""

from __future__ import annotations

from dataclasses import dataclass

from qmi_metrics.present.i18n import N_p, _p

# The catalogue's context of the navigation's titles: a menu entry may be shorter than the page's own heading
# (« Carte des quartiers »: "District map" in the menu, "Map of the quartiers" on the page).
NAVIGATION = "navigation"


@dataclass(frozen=True)
class PageSpec:
    name: str            # the file dashboard/<name>.py, and the page's address (/<name>), "" for the default
    label: str           # its title in the navigation, in French: a msgid of the context NAVIGATION
    icon: str
    section: str         # a key of SECTIONS
    default: bool = False

    @property
    def file(self) -> str:
        return f"dashboard/{self.name}.py"

    @property
    def url_path(self) -> str:
        """What follows the server's address: the default page is the root."""
        return "" if self.default else self.name

    def title(self, lang: str) -> str:
        return _p(lang, NAVIGATION, self.label)


SECTIONS = {"programme": N_p("navigation", "Programme"), "methode": N_p("navigation", "Méthode"),
            "presenter": N_p("navigation", "Présenter"), "gestion": N_p("navigation", "Gestion")}

PAGES = (
    PageSpec("vue_ensemble", N_p("navigation", "Vue d'ensemble"), ":material/home:", "programme", default=True),
    PageSpec("carte", N_p("navigation", "Carte des quartiers"), ":material/map:", "programme"),
    PageSpec("projets", N_p("navigation", "Projets"), ":material/science:", "programme"),
    PageSpec("thematiques", N_p("navigation", "Thématiques"), ":material/label:", "programme"),
    PageSpec("deploiement", N_p("navigation", "Déploiement"), ":material/rocket_launch:", "programme"),
    PageSpec("evaluation", N_p("navigation", "Évaluation"), ":material/straighten:", "programme"),
    PageSpec("communaute", N_p("navigation", "Communauté"), ":material/groups:", "programme"),
    PageSpec("editions", N_p("navigation", "Éditions"), ":material/calendar_month:", "methode"),
    PageSpec("sources", N_p("navigation", "Sources et écarts"), ":material/fact_check:", "methode"),
    PageSpec("accessibilite", N_p("navigation", "Accessibilité"), ":material/accessibility_new:", "methode"),
    PageSpec("presentation", N_p("navigation", "Mode présentation"), ":material/slideshow:", "presenter"),
    PageSpec("a_mettre_a_jour", N_p("navigation", "À mettre à jour"), ":material/update:", "gestion"),
    PageSpec("administration", N_p("navigation", "Administration"), ":material/admin_panel_settings:", "gestion"),
)
NAMES = tuple(page.name for page in PAGES)
FILES = tuple(page.file for page in PAGES)


def page(name: str) -> PageSpec:
    return next(spec for spec in PAGES if spec.name == name)


def section_title(section: str, lang: str) -> str:
    return _p(lang, NAVIGATION, SECTIONS[section])
