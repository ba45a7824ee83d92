"""Reading that needs a sign-in holds the way it used to break: several deep links opened at the same
moment right after the server starts, in Chromium, on fresh servers, again and again. Wrong
passwords slow down their own connection only, across a restart. A commune editor's Administration
page shows its communes' history only. (Skips with test_browser.)"""

from __future__ import annotations

import shutil

import pytest
from helpers import serving
from test_browser import FINISHED, SCREENSHOTS, browser  # noqa: F401  (browser: a fixture)

from qmi_metrics.admin import auth

PASSWORD = "un mot de passe assez long"
DEEP_LINKS = ["projets?projet=faradae", "deploiement", "evaluation", "communaute?edition=1", "?present=1"]
# What a page shows only when it shows data: a project name, KPI cards, tables, charts, the map, the slideshow.
DATA = ('[data-testid="stMetric"], [data-testid="stDataFrame"], [data-testid="stPlotlyChart"], '
        '[data-testid="stDeckGlJsonChart"], iframe')
REPEATS = 3




@pytest.fixture
def site(reference_db_path, tmp_path):
    """A private database and a secrets file where reading needs the admin password."""
    live = tmp_path / "qmi.duckdb"
    shutil.copy(reference_db_path, live)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[admin]\npassword_hash = "{auth.hash_password(PASSWORD)}"\n\n'
                       "[access]\nrequire_login = true\n", encoding="utf-8")
    return live, secrets


def settle(page) -> None:
    page.wait_for_selector(FINISHED, timeout=60_000)
    page.wait_for_timeout(700)  # a rerun may follow the first run
    page.wait_for_selector(FINISHED, timeout=60_000)


def assert_sign_in_only(page, where: str) -> None:
    page.wait_for_selector('input[type="password"]', timeout=10_000)  # drawn just after the run ends, under load
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "connexion_derniere_vue.png"))  # the last one looked at, to see why
    assert page.locator('[data-testid="stException"]').count() == 0, where
    assert page.get_by_text("connectez-vous pour le consulter").count() == 1, where
    assert page.locator('input[type="password"]').count() == 1, where
    assert page.locator(DATA).count() == 0, where
    assert page.get_by_text("Faradae").count() == 0, where
    assert page.get_by_text("Page not found").count() == 0 and page.locator('[role="dialog"]').count() == 0, where
    assert page.locator('.st-key-navigation').count() == 0, where


def sign_in(page, password: str) -> None:
    page.locator('input[type="password"]').fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_timeout(300)
    settle(page)


def test_concurrent_first_visits_right_after_start_all_need_the_sign_in(browser, site):
    live, secrets = site
    for attempt in range(REPEATS):
        contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR") for _ in DEEP_LINKS]
        pages = [context.new_page() for context in contexts]
        with serving(live, "--secrets.files", str(secrets)) as url:
            for page, link in zip(pages, DEEP_LINKS):  # all sent before any has finished
                page.goto(f"{url}/{link}", wait_until="commit")
            for page, link in zip(pages, DEEP_LINKS):
                settle(page)
                assert_sign_in_only(page, f"run {attempt + 1}: {link}")
            if attempt == REPEATS - 1:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                pages[0].screenshot(path=str(SCREENSHOTS / "connexion_projets.png"))
                # Signed in, the deep link's own page is there: no navigation to find it again.
                sign_in(pages[0], PASSWORD)
                assert pages[0].get_by_role("heading", name="Faradae").count() >= 1
                assert pages[0].locator('.st-key-navigation').count() == 1
                # The other sessions are still not signed in.
                pages[1].reload()
                settle(pages[1])
                assert_sign_in_only(pages[1], "another session after one signed in")
        for context in contexts:
            context.close()


def test_wrong_passwords_slow_their_own_client_and_survive_a_restart(browser, site):
    live, secrets = site
    # deploy/'s nginx (on loopback, trusted) says which client it forwards for.
    attacker = browser.new_context(extra_http_headers={"X-Forwarded-For": "198.51.100.66"}, locale="fr-FR")
    manager = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.10"}, locale="fr-FR")
    with serving(live, "--secrets.files", str(secrets)) as url:
        page = attacker.new_page()
        page.goto(f"{url}/administration")
        settle(page)
        for _ in range(auth.FREE_FAILURES):
            sign_in(page, "mauvais")
        assert page.get_by_text("Trop d'essais depuis cette connexion").count() == 1
        sign_in(page, PASSWORD)  # the right password, but this client must wait
        assert page.get_by_text("Trop d'essais depuis cette connexion").count() == 1
        assert page.locator('input[type="password"]').count() == 1
    with serving(live, "--secrets.files", str(secrets)) as url:  # a restart keeps the count
        page = attacker.new_page()
        page.goto(f"{url}/administration")
        settle(page)
        sign_in(page, PASSWORD)
        assert page.get_by_text("Trop d'essais depuis cette connexion").count() == 1
        other = manager.new_page()  # a client that has not failed is never blocked
        other.goto(f"{url}/administration")
        settle(other)
        sign_in(other, PASSWORD)
        assert other.get_by_text("Trop d'essais").count() == 0
        assert other.get_by_text("Historique des versions").count() == 1
    assert (live.parent / "signin_attempts.json").exists()
    attacker.close()
    manager.close()


def test_concurrent_deep_links_right_after_start_open_their_own_page(browser, reference_db_path, tmp_path):
    """Without a sign-in to pass, the same burst lands every link on its page, with the app's navigation."""
    open_secrets = tmp_path / "secrets.toml"
    open_secrets.write_text("# reading is public\n", encoding="utf-8")
    titles = {"projets?projet=faradae": "Faradae", "deploiement": "Déploiement", "evaluation": "Évaluation",
              "communaute?edition=1": "Communauté"}
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR") for _ in titles]
    pages = [context.new_page() for context in contexts]
    with serving(reference_db_path, "--secrets.files", str(open_secrets)) as url:
        for page, link in zip(pages, titles):
            page.goto(f"{url}/{link}", wait_until="commit")
        for page, (link, title) in zip(pages, titles.items()):
            settle(page)
            assert page.locator('[data-testid="stException"]').count() == 0, link
            assert page.get_by_role("heading", name=title).count() >= 1, link
            menu_entry = page.locator('.st-key-navigation').get_by_text("Sources et écarts")
            menu_entry.first.wait_for(timeout=30_000)  # the menu may be redrawn by the rerun that writes the URL
            assert menu_entry.count() == 1, link
    for context in contexts:
        context.close()


def test_a_commune_editors_administration_page_shows_only_its_communes_history(browser, reference_db_path, tmp_path):
    """Signed in with its password account, the editor of Aulnay sees its import, not Meudon's nor the one of
    both communes, no rollback and no access table; a role claimed in the address changes nothing."""
    from test_admin import IMPORTS, publish_imports_of_two_communes

    live = tmp_path / "qmi.duckdb"
    shutil.copy(reference_db_path, live)
    publish_imports_of_two_communes(str(live))
    password_hash = auth.hash_password(PASSWORD)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[admin]\npassword_hash = "{password_hash}"\n\n'
                       f'[accounts.aulnay]\npassword_hash = "{password_hash}"\nrole = "commune_editor"\n'
                       'scope = ["93005"]\n', encoding="utf-8")
    context = browser.new_context(viewport={"width": 1900, "height": 1000}, locale="fr-FR")  # the file column shown
    page = context.new_page()
    with serving(live, "--secrets.files", str(secrets)) as url:
        page.goto(f"{url}/administration?role=administrator&scope=92048")
        settle(page)
        page.get_by_label("Compte").fill("aulnay")
        sign_in(page, PASSWORD)
        page.wait_for_selector('[data-testid="stDataFrame"]', timeout=30_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "administration_editeur_de_commune.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("éditeur de commune : 93005 (Aulnay-sous-Bois)").count() == 1
        assert page.get_by_role("heading", name="Historique des versions").count() == 1
        assert page.locator('[data-testid="stDataFrame"]').count() == 1  # the history, and no access table
        # The grid draws on a canvas; its cells are in the accessible table inside it, as DOM text.
        history = page.locator('[data-testid="stDataFrame"]').text_content()
        files = {name for name, *_ in IMPORTS}
        assert "aulnay.csv" in history and not [name for name in files - {"aulnay.csv"} if name in history]
        assert page.get_by_role("button", name="Revenir en arrière").count() == 0
        assert page.get_by_role("heading", name="Accès").count() == 0
    context.close()
