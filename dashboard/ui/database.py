"""The database the pages read: its path, the one read-only connection of the server, and what a reader sees
when it cannot be served (a missing, locked, outdated or damaged file)."""

from __future__ import annotations

import logging
import os
import shlex
import threading

import streamlit as st

from dashboard.ui import configuration, language
from qmi_metrics.admin import publishing
from qmi_metrics.present import vocabulary
from qmi_metrics.present.i18n import _
from qmi_metrics.store import db, loader

_LOG = logging.getLogger("qmi")


@st.cache_resource
def _open_connections() -> dict:
    """path -> (file identity, connection, damage found while reading it), shared by every session of the server."""
    return {"lock": threading.Lock(), "by_path": {}}


def configured_path() -> str | None:
    """$QMI_DB, else `qmi_db` in .streamlit/secrets.toml; None when neither is set."""
    return configuration.configured("QMI_DB")


def path() -> str:
    """The configured path, else data/qmi.duckdb."""
    return configured_path() or str(loader.DEFAULT_DB_PATH)


def duckdb_limits() -> db.Limits:
    """Memory limit and threads: $QMI_DUCKDB_MEMORY_LIMIT / $QMI_DUCKDB_THREADS, else secrets' [duckdb], else defaults."""
    return db.configured_limits(configuration.secrets())


def connection() -> db.ReadingConnection:
    """One read-only connection per database file for the whole server; queries take a cursor each.

    Keyed on the file's identity: when an import publishes a new version (a new file renamed over
    the old one), the next run opens it, without a restart; queries still running on the old one
    finish on it. Raises db.DatabaseUnavailable when the file cannot be served (app.py shows why);
    the next run tries again, so publishing a good file at the path is enough to recover."""
    db_path = path()
    if configured_path() is None and not os.path.exists(db_path):
        try:  # the default database is built on first start; a configured one never is
            loader.ensure_built(db_path)
        except Exception as error:  # e.g. data/ unreadable: say so like any missing database
            raise db.DatabaseUnavailable(db_path, "missing", str(error).splitlines()[0][:300] if str(error) else "") from error
    try:
        stat = os.stat(db_path)
    except FileNotFoundError:
        raise db.DatabaseUnavailable(db_path, "missing") from None
    except OSError as error:
        raise db.DatabaseUnavailable(db_path, "unreadable", str(error)) from error
    identity = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    registry = _open_connections()
    with registry["lock"]:
        known = registry["by_path"].get(db_path)
        if known is not None and known[0] == identity:
            if known[2] is not None:
                raise known[2]
            return known[1]
        # Not closed: DuckDB frees the old version when the last query running on it ends.
        registry["by_path"].pop(db_path, None)
        limits = duckdb_limits()
        for fr, en in limits.problems:
            _LOG.warning("%s / %s", fr, en)
        opened = db.open_for_reading(db_path, limits)  # DatabaseUnavailable: not remembered, tried again next run
        registry["by_path"][db_path] = (identity, opened, None)
        return opened


def problem() -> db.DatabaseUnavailable | None:
    """Why the database cannot be served now, or None."""
    try:
        connection()
    except db.DatabaseUnavailable as unavailable:
        return unavailable
    return None


def damaged(error: BaseException) -> db.DatabaseUnavailable | None:
    """A read failed because the file is cut short or corrupt: remember it for this version of the
    file (until another file is published at the path) and say so; None for any other error."""
    if isinstance(error, db.DatabaseUnavailable):
        return error
    if not db.is_damage(error):
        return None
    db_path = path()
    found = db.DatabaseUnavailable(db_path, "damaged", db.first_line(error))
    registry = _open_connections()
    with registry["lock"]:
        known = registry["by_path"].get(db_path)
        if known is not None:
            registry["by_path"][db_path] = (known[0], known[1], found)
    return found


def _kept_versions(db_path: str) -> list[str]:
    """The versions imports kept beside the database, oldest first; none when the folder cannot be read."""
    try:
        return publishing.archived_versions(db_path)
    except OSError:  # this page shows when the disk misbehaves: it must not fail itself
        return []


def unavailable_page(unavailable: db.DatabaseUnavailable) -> None:
    """What a reader sees instead of the dashboard when the database cannot be served: what is wrong,
    what to do, no traceback. The page recovers on the next run once a good file is at the path."""
    lang = language.lang()
    db_path = str(unavailable.path)
    st.title(_(lang, "Tableau de bord indisponible"))
    st.error(_(lang, "Les données ne peuvent pas être affichées : {what}.",
               what=vocabulary.localized(lang, unavailable.what[0], unavailable.what[1])), icon=":material/error:")
    st.write(_(lang, "Réessayez dans quelques minutes. Si le problème continue, prévenez l'administrateur du tableau de "
                     "bord. La page se rétablit d'elle-même dès qu'une version valide de la base est en place : il "
                     "suffit de la recharger."))
    with st.container(border=True):
        st.markdown(_(lang, "**Pour l'administrateur**"))
        st.caption(_(lang, "Fichier de la base :"))
        st.code(db_path, language=None)
        if unavailable.detail:
            st.caption(_(lang, "Détail :"))
            st.code(unavailable.detail, language=None)
        if unavailable.reason == "locked":
            st.write(_(lang, "Fermez le programme qui a ouvert la base en écriture (le serveur du tableau de bord ne "
                             "l'ouvre qu'en lecture), puis rechargez la page."))
        elif unavailable.reason == "outdated":
            st.write(_(lang, "Reconstruisez la base avec cette version du code (quand seules des tables dérivées "
                             "manquent, publier un import suffit : chaque publication les recalcule). Une base qui "
                             "contient des imports demande --force, et ses imports seront à refaire :"))
            st.code(f"python -m qmi_metrics build --db {shlex.quote(db_path)}", language="bash")
        elif unavailable.reason == "missing" and configured_path() is not None:
            st.write(_(lang, "Vérifiez le chemin configuré ($QMI_DB ou `qmi_db` dans .streamlit/secrets.toml), ou "
                             "construisez la base à cet endroit depuis les données de référence :"))
            st.code(f"python -m qmi_metrics build --db {shlex.quote(db_path)}", language="bash")
        else:
            kept = _kept_versions(db_path)
            if kept:
                latest = kept[-1]
                st.write(_(lang, "Remettez en place la dernière version conservée ({latest}) : le fichier abîmé est "
                                 "gardé à côté pour examen, et la copie est renommée d'un coup sur le chemin de la "
                                 "base.", latest=latest))
                st.code(publishing.restore_commands(db_path, latest), language="bash")
                st.caption(_(lang, "Autres versions conservées : ") + (", ".join(kept[:-1]) or "—"))
            st.write(_(lang, "Ou reconstruisez la base depuis les données de référence (les imports des gestionnaires "
                             "qu'elle contenait seront à refaire) :"))
            st.code(f"mv {shlex.quote(db_path)} {shlex.quote(db_path + '.abime')}\n"
                    f"python -m qmi_metrics build --db {shlex.quote(db_path)}", language="bash")
    st.button(_(lang, "Réessayer"), icon=":material/refresh:")
