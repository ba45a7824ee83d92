"""The dashboard's pages, declared once: app.py builds its navigation from this list, and the tests and
benchmarks read it. Adding a page = one line here + its file dashboard/<name>.py. No Streamlit import:
benchmarks read it without starting the app."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    name: str            # the file dashboard/<name>.py, and the page's address (/<name>), "" for the default
    title_fr: str
    title_en: str
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
        return self.title_en if lang == "en" else self.title_fr


SECTIONS = {"programme": ("Programme", "Programme"), "methode": ("Méthode", "Method"),
            "presenter": ("Présenter", "Present"), "gestion": ("Gestion", "Management")}

PAGES = (
    PageSpec("vue_ensemble", "Vue d'ensemble", "Overview", ":material/home:", "programme", default=True),
    PageSpec("carte", "Carte des quartiers", "District map", ":material/map:", "programme"),
    PageSpec("projets", "Projets", "Projects", ":material/science:", "programme"),
    PageSpec("thematiques", "Thématiques", "Themes", ":material/label:", "programme"),
    PageSpec("deploiement", "Déploiement", "Deployment", ":material/rocket_launch:", "programme"),
    PageSpec("evaluation", "Évaluation", "Evaluation", ":material/straighten:", "programme"),
    PageSpec("communaute", "Communauté", "Community", ":material/groups:", "programme"),
    PageSpec("editions", "Éditions", "Editions", ":material/calendar_month:", "methode"),
    PageSpec("sources", "Sources et écarts", "Sources and discrepancies", ":material/fact_check:", "methode"),
    PageSpec("presentation", "Mode présentation", "Presentation mode", ":material/slideshow:", "presenter"),
    PageSpec("administration", "Administration", "Administration", ":material/admin_panel_settings:", "gestion"),
)
NAMES = tuple(page.name for page in PAGES)
FILES = tuple(page.file for page in PAGES)


def page(name: str) -> PageSpec:
    return next(spec for spec in PAGES if spec.name == name)


def section_title(section: str, lang: str) -> str:
    fr, en = SECTIONS[section]
    return en if lang == "en" else fr
