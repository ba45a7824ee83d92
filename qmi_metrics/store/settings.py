"""Every setting the app, the command line and the tools read, declared once (after Datasette's SETTINGS):
its environment variable and/or its key in .streamlit/secrets.toml, its kind, default and meaning.

Code reads a setting through `value` (the default when unset) or `configured` (None when unset); the
environment wins over secrets.toml. `python -m qmi_metrics.store.settings` prints the README's table.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent.parent
KINDS = ("text", "path", "bool", "int", "float", "list", "section")
_TRUE, _FALSE = ("true", "1", "yes", "on", "oui"), ("false", "0", "no", "off", "non")


@dataclass(frozen=True)
class Setting:
    default: object
    help: str
    kind: str = "text"        # one of KINDS: how a configured value is parsed
    env: str | None = None    # the environment variable
    secret: str | None = None  # the key in .streamlit/secrets.toml, "section.key" for a key of a [section]
    env_aliases: tuple[str, ...] = ()  # other spellings of the variable that are read too

    @property
    def name(self) -> str:
        """What code asks for: the environment variable, else the secrets key."""
        return self.env or self.secret


SETTINGS = (
    Setting("data/qmi.duckdb", "The database file (a relative default is inside the repository; only that one is built "
            "on first use).", "path", env="QMI_DB", secret="qmi_db"),
    Setting("1GB", "DuckDB's memory limit per server, e.g. 512MB (at least 64MB); a value not understood is logged "
            "and the default used.", env="QMI_DUCKDB_MEMORY_LIMIT", secret="duckdb.memory_limit"),
    Setting(2, "DuckDB's threads per server, from 1 to 64; a value not understood is logged and the default used.",
            "int", env="QMI_DUCKDB_THREADS", secret="duckdb.threads"),
    Setting(False, "Reading pages needs a sign-in too.", "bool", secret="access.require_login"),
    Setting(("127.0.0.1", "::1"), "Proxies whose X-Forwarded-For names the client (deploy/'s nginx).", "list",
            secret="access.trusted_proxies"),
    Setting(None, "The administrator password's hash (python -m qmi_metrics hash-password).",
            secret="admin.password_hash"),
    Setting((), "With OIDC: who administers (empty, and no [roles]: any signed-in user).", "list",
            secret="admin.emails"),
    Setting(None, "OIDC e-mails and their role: `\"a@b.fr\" = { role = \"commune_editor\", scope = [\"92048\"] }` "
            "(reader, commune_editor, programme_manager, administrator; see qmi_metrics/admin/roles.py).", "section",
            secret="roles"),
    Setting(None, "Password accounts: `[accounts.NAME]` with password_hash, role and (a commune editor) scope.",
            "section", secret="accounts"),
    Setting(None, "Streamlit's OIDC sign-in (st.login): the section enables it.", "section", secret="auth"),
    Setting(None, "The dashboard's public address, for the slideshow's QR code (?base= wins) and the showcase's "
            "« Explorer » links (unset: the root of the host serving the showcase).", secret="public_url"),
    Setting(None, "The static showcase's public address: the event mode's QR code and the PPTX's open its page of "
            "the view (unset: the dashboard).", env="QMI_PUBLIC_SITE_URL", secret="public_site_url"),
    Setting(None, "The static showcase's folder, regenerated at build, import and rollback (unset: none); "
            "`export-site --out` writes one anywhere.", "path", env="QMI_SITE_DIR", secret="site_dir"),
    Setting(None, "Where a reader reports an accessibility problem (an e-mail address or a form's URL), shown in the "
            "« Accessibilité » page's statement (unset: the statement says no contact is configured).",
            env="QMI_ACCESSIBILITY_CONTACT", secret="accessibility_contact"),
    Setting(None, "Who imports or rolls back (--by wins; unset: the operating-system user).", env="QMI_USER"),
    Setting(60.0, "Seconds an import or rollback waits for another one to finish (--wait wins).", "float",
            env="QMI_LOCK_TIMEOUT"),
    Setting("data/cache/contours_mgp.geojson", "The map's cache of the contours refreshed from geo.api.gouv.fr (a relative default is inside "
            "the repository).", "path", env="QMI_CONTOURS_CACHE"),
    Setting(False, "The map refreshes the commune contours from geo.api.gouv.fr (fetched once, then read from "
            "QMI_CONTOURS_CACHE) instead of drawing the shipped ones (data/communes_contours.geojson, always the "
            "fallback).", "bool", env="QMI_CONTOURS_REFRESH"),
    Setting(30, "« À mettre à jour »: a project or commune whose last update (import, dated status or measurement) "
            "is more days old than this is « en retard ».", "int", env="QMI_LATE_AFTER_DAYS",
            secret="freshness.late_after_days"),
    Setting(90, "« À mettre à jour »: more days old than this, « obsolète » (must be above the late threshold).", "int",
            env="QMI_STALE_AFTER_DAYS", secret="freshness.stale_after_days"),
    Setting(None, "MotherDuck's token, for `export-parquet --db md:NAME` (DuckDB reads it too).",
            env="MOTHERDUCK_TOKEN", env_aliases=("motherduck_token",)),
    Setting(0.0, "Test hook: an import or rollback sleeps this many seconds after copying the live file.", "float",
            env="QMI_TEST_PAUSE_AFTER_COPY"),
    Setting(0.0, "Test hook: an import or rollback sleeps this many seconds before renaming its file into place.",
            "float", env="QMI_TEST_PAUSE_BEFORE_REPLACE"),
    Setting(None, "required: the browser tests fail, instead of skipping, without Chromium (.ci/run sets it).",
            env="QMI_BROWSER_TESTS"),
    Setting(None, "required: the nginx tests fail, instead of skipping, without nginx (.ci/run sets it).",
            env="QMI_NGINX_TESTS"),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


class SettingError(ValueError):
    """A configured value that cannot be read as its setting's kind: which one, and what is expected."""

    def __init__(self, fr: str, en: str):
        self.fr, self.en = fr, en
        super().__init__(f"{fr} / {en}")


SECRETS_FILE = REPO_DIR / ".streamlit" / "secrets.toml"


def secrets_file(path: Path = SECRETS_FILE) -> dict:
    """The secrets as the command line reads them (the dashboard reads them through Streamlit): {} when there is no
    file; a file that does not parse is a SettingError."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingError(f"{path} illisible : {error}", f"{path} cannot be read: {error}") from None


def setting(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown setting {name!r}: declare it in qmi_metrics/store/settings.py") from None


def raw(name: str, secrets: Mapping | None = None, environ: Mapping | None = None):
    """The value as configured, not parsed (None when unset): for a reader that checks it itself."""
    declared = setting(name)
    environ = os.environ if environ is None else environ
    for variable in filter(None, (declared.env, *declared.env_aliases)):
        if str(environ.get(variable, "")).strip():  # set but empty counts as unset
            return environ[variable]
    if declared.secret and secrets is not None:
        found = secrets
        for key in declared.secret.split("."):
            found = found.get(key) if isinstance(found, Mapping) else None
        if found is not None and str(found).strip() != "":
            return found
    return None


def configured(name: str, secrets: Mapping | None = None, environ: Mapping | None = None):
    """The configured value parsed as its kind, None when unset; raises SettingError for a bad value."""
    value = raw(name, secrets, environ)
    return None if value is None else parse(setting(name), value)


def value(name: str, secrets: Mapping | None = None, environ: Mapping | None = None):
    """The configured value parsed as its kind, else the default; raises SettingError for a bad value."""
    found = configured(name, secrets, environ)
    return default(name) if found is None else found


def default(name: str):
    declared = setting(name)
    if declared.kind == "path" and declared.default is not None:
        return str(REPO_DIR / declared.default)
    return declared.default


def parse(declared: Setting, value):
    """`value` (text from the environment, or what TOML gave) as the setting's kind."""
    kind, text = declared.kind, str(value).strip()
    if kind in ("text", "path"):
        return text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
    elif kind in ("int", "float") and not isinstance(value, bool):
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            pass
    elif kind == "list" and isinstance(value, (list, tuple)):
        return tuple(str(item) for item in value)
    elif kind == "section" and isinstance(value, Mapping):
        return value
    fr, en = _EXPECTED[kind]
    raise SettingError(f"{_where(declared)} : « {value} » n'est pas compris ({fr} attendu)",
                       f"{_where(declared)}: “{value}” not understood (expected {en})")


_EXPECTED = {"bool": ("true ou false", "true or false"), "int": ("un nombre entier", "an integer"),
             "float": ("un nombre", "a number"), "list": ("une liste, p. ex. [\"a\", \"b\"]", "a list, e.g. [\"a\", \"b\"]"),
             "section": ("une section [ ]", "a [section]")}


def _where(declared: Setting) -> str:
    places = [f"${declared.env}"] if declared.env else []
    if declared.secret:
        places.append(f"{declared.secret} (.streamlit/secrets.toml)")
    return " / ".join(places)


# --- the README's table ---------------------------------------------------------------------------

def _shown(value) -> str:
    if value is None or value == ():
        return "—"
    if isinstance(value, tuple):
        return "`" + ", ".join(value) + "`"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def readme_table() -> str:
    """The "Settings" table of README.md, generated from SETTINGS."""
    lines = ["| environment variable | secrets.toml key | kind | default | meaning |", "|---|---|---|---|---|"]
    for declared in SETTINGS:
        env = " / ".join(f"`{name}`" for name in filter(None, (declared.env, *declared.env_aliases))) or "—"
        secret = f"`{declared.secret}`" if declared.secret else "—"
        lines.append(f"| {env} | {secret} | {declared.kind} | {_shown(declared.default)} | {declared.help} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_table())
