"""Publishing managers' data: a new version of the database, never changed in place.

An import, under an exclusive lock on <db>.lock:

    1. copy the live file to <db>.<token>.snapshot.tmp; validate the file against that copy;
    2. build <db>.<token>.new.tmp from the snapshot and the file's rows, in one transaction
       (a rebuild, not UPDATEs: DuckDB refuses to update a row other tables reference);
    3. check the new file: schema as schema.sql declares it, every foreign key resolves,
       every KPI computes;
    4. move the snapshot to versions/<db stem>.<previous version>.duckdb (kept for rollback);
    5. os.replace(new, live): the only step readers see, and it is atomic;
    6. append the audit entry to <db dir>/audit.jsonl (it is also inside the new file).

Until step 5 only temporary files are written: a crash or SIGKILL leaves the live file as it was,
and the next import or rollback removes the leftovers. The app notices the new file by its
identity (dashboard/ui/database.connection) and meta.data_version changes, so its caches invalidate.
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from qmi_metrics.admin import importing, roles
from qmi_metrics.admin.catalogue import schema_tables, table_schema
from qmi_metrics.admin.problems import Problem
from qmi_metrics.admin.readers import Parsed
from qmi_metrics.admin.validation import Counts
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db, loader, rollups, settings, writes

KEEP_VERSIONS = 5
LOCK_TIMEOUT_SECONDS = settings.default("QMI_LOCK_TIMEOUT")
AUDIT_TABLE = "audit_log"
SNAPSHOT = "old"  # the catalog name the snapshot is attached under while the new version is built


class PublishError(Exception):
    """Nothing was published; the message says why (French / English)."""


class ImportRejected(PublishError):
    def __init__(self, problems: list[Problem], truncated: bool = False):
        self.problems, self.truncated = problems, truncated
        super().__init__(f"{len(problems)} erreur(s) : rien n'a été écrit / {len(problems)} error(s): nothing was written")


class LockTimeout(PublishError):
    pass


class UnknownVersion(PublishError):
    pass


class NotWritable(PublishError):
    """A file or folder the publish writes cannot be written: found before anything is published."""


class NotAllowed(PublishError):
    """The role does not allow it (roles.Identity): refused before anything is read or locked."""


@dataclass
class Result:
    version: str
    previous_version: str
    counts: dict[str, Counts] = field(default_factory=dict)
    entry: dict = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)   # accepted rows worth a look (importing.Prepared)
    audit_error: str | None = None   # published and recorded in the database, but audit.jsonl is behind
    site: object | None = None   # the showcase regenerated (outputs/site.Summary), None when none is configured
    site_error: str | None = None   # published, but the showcase could not follow: the previous one keeps serving


# --- paths ------------------------------------------------------------------------------------


def versions_dir(db_path: Path) -> Path:
    return Path(db_path).parent / "versions"


def version_path(db_path: Path, version: str) -> Path:
    return versions_dir(db_path) / f"{Path(db_path).stem}.{version}.duckdb"


def audit_path(db_path: Path) -> Path:
    return Path(db_path).parent / "audit.jsonl"


def lock_path(db_path: Path) -> Path:
    return Path(db_path).with_name(Path(db_path).name + ".lock")


def _temp_path(db_path: Path, token: str, kind: str) -> Path:
    return Path(db_path).with_name(f"{Path(db_path).name}.{token}.{kind}.tmp")


def archived_versions(db_path: Path) -> list[str]:
    prefix = Path(db_path).stem + "."
    found = []
    for path in versions_dir(db_path).glob(f"{glob.escape(Path(db_path).stem)}.*.duckdb"):
        version = path.name[len(prefix):-len(".duckdb")]
        if db.VERSION_PATTERN.match(version):
            found.append(version)
    return sorted(found)


def restore_commands(db_path: Path, version: str) -> str:
    """Shell lines that put a kept version back by hand when the live file is broken: the broken file is
    kept aside (<db>.abime) and the copy is renamed onto the database path in one step."""
    live, partial = shlex.quote(str(db_path)), shlex.quote(f"{db_path}.restauration")
    return (f"mv {live} {shlex.quote(f'{db_path}.abime')}\n"
            f"cp {shlex.quote(str(version_path(db_path, version)))} {partial}\n"
            f"mv {partial} {live}")


def clean_stale_files(db_path: Path) -> list[Path]:
    """Temporary files a killed import left behind. Call under the lock only: then no import is running."""
    db_path = Path(db_path)
    stale = [p for p in db_path.parent.glob(f"{glob.escape(db_path.name)}.*.tmp*")
             if re.search(r"\.(snapshot|new)\.tmp(\.wal)?$", p.name)]
    stale += list(versions_dir(db_path).glob(f"{glob.escape(db_path.stem)}.*.duckdb.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


# --- who, when, which version -----------------------------------------------------------------


def who(by: str | None = None) -> str:
    """--by, else $QMI_USER, else the operating-system user."""
    if by and by.strip():
        return by.strip()
    configured = settings.configured("QMI_USER")
    if configured:
        return configured
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "inconnu"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_version(db_path: Path) -> str:
    """The live file's version: meta.version, or, for a file `build` made, one derived from it."""
    with closing(_open_live(db_path)) as con:
        meta = db.meta(con)
    return db.version_from_meta(meta, Path(db_path).stat().st_mtime)


def _new_version(db_path: Path, previous: str, salt: str) -> str:
    """A version id that sorts after every version there is (time-stamped, to the second)."""
    moment = _now().replace(microsecond=0)
    latest = max([previous, *archived_versions(db_path)])
    if moment <= db.version_time(latest):
        moment = db.version_time(latest) + timedelta(seconds=1)
    digest = hashlib.sha256(f"{previous}|{salt}|{moment.isoformat()}|{uuid.uuid4()}".encode()).hexdigest()
    return f"{moment:%Y%m%dT%H%M%SZ}-{digest[:8]}"


# --- the lock ---------------------------------------------------------------------------------


@contextmanager
def exclusive_lock(db_path: Path, timeout: float | None = None, purpose: str = ""):
    """One import or rollback at a time per database: flock on <db>.lock, waiting up to `timeout` seconds."""
    timeout = LOCK_TIMEOUT_SECONDS if timeout is None else timeout
    path = lock_path(db_path)
    try:
        handle = open(path, "a+", encoding="utf-8")
    except OSError as error:
        raise _not_writable(path, "le verrou des imports", "the imports' lock file", error) from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                handle.close()
                raise LockTimeout(
                    f"un autre import est en cours ({holder}) ; réessayez dans un moment (attendu {timeout:g} s)"
                    f" / another import is running ({holder}); try again later (waited {timeout:g} s)") from None
            time.sleep(0.05)
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{purpose}, pid {os.getpid()}, depuis {_iso(_now())}")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _pause(variable: str) -> None:
    """Test hook: stop here for $variable seconds, so a test can kill the process at this point."""
    seconds = settings.value(variable)
    if seconds > 0:
        print(f"QMI_TEST_PAUSED {variable}", file=sys.stderr, flush=True)
        time.sleep(seconds)


# --- import -----------------------------------------------------------------------------------


def publish_import(db_path, parsed: Parsed, table: str, mode: str = "append", by: str | None = None,
                   source_name: str | None = None, *, role: str = roles.ADMINISTRATOR,
                   scope: frozenset[str] | None = None, keep: int = KEEP_VERSIONS,
                   lock_timeout: float | None = None) -> Result:
    """Validate `parsed` against the current database and publish it as a new version.

    `role` and `scope` are the importer's (roles.Identity; the default is the command line's operator, who holds
    the files): a commune editor's rows outside its scope are problems like any other, and the audit entry
    records both. Raises NotAllowed for a reader, ImportRejected (with every problem) when the file is not clean,
    LockTimeout when another import holds the lock too long, PublishError when the new version fails its checks.
    In every one of those cases the live database is untouched."""
    db_path = _existing(db_path)
    by, source_name = who(by), source_name or parsed.filename
    identity = roles.Identity(by, role, scope)
    if not identity.may_import:
        raise NotAllowed(f"le rôle {role} ne permet pas d'importer / role {role} may not import")
    _reject_early(db_path, parsed, table, mode, scope)
    check_writable(db_path)
    with exclusive_lock(db_path, lock_timeout, f"import de {source_name} ({table}) par {by}"):
        _start(db_path)
        with _work_files(db_path) as (snapshot, new):
            previous, prepared = _snapshot_and_validate(db_path, snapshot, parsed, table, mode, scope)
            version = _new_version(db_path, previous, f"{parsed.sha256}|{table}|{mode}")
            entry = _entry("import", identity, version, previous, file=source_name, sha256=parsed.sha256,
                           table=table, mode=mode, counts=prepared.counts, communes=prepared.communes,
                           db_name=db_path.name)
            if prepared.import_source:
                prepared.import_source["publisher"] = by
            _build_new_version(new, snapshot, prepared, version, entry, parsed)
            _verify_or_raise(new, parsed)
            _pause("QMI_TEST_PAUSE_BEFORE_REPLACE")
            _archive(snapshot, db_path, previous)
            _swap_in(new, db_path)
        audit_error, notices = _after_swap(db_path, entry, keep)
        site, site_error = _regenerate_site(db_path)
    return Result(version=version, previous_version=previous, counts=prepared.counts, entry=entry,
                  notices=[*prepared.notices, *notices], warnings=prepared.warnings, audit_error=audit_error,
                  site=site, site_error=site_error)


@contextmanager
def _work_files(db_path: Path):
    """The snapshot and new-version paths of one run, removed whatever happens (unless renamed into place)."""
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    snapshot, new = _temp_path(db_path, token, "snapshot"), _temp_path(db_path, token, "new")
    try:
        yield snapshot, new
    finally:
        for path in (snapshot, new, Path(f"{new}.wal"), Path(f"{snapshot}.wal")):
            path.unlink(missing_ok=True)


def _snapshot_and_validate(db_path: Path, snapshot: Path, parsed, table: str, mode: str, scope):
    """Copy the live file, then validate against the copy: what the new version will be built from."""
    live_mtime = db_path.stat().st_mtime
    shutil.copyfile(db_path, snapshot)
    _pause("QMI_TEST_PAUSE_AFTER_COPY")
    with closing(db.connect(snapshot)) as con:
        _require_schema(con)
        previous = db.version_from_meta(db.meta(con), live_mtime)
        prepared = importing.prepare(con, parsed, table, mode, scope)
    if not prepared.ok:
        raise ImportRejected(prepared.problems, prepared.truncated)
    return previous, prepared


def _reject_early(db_path: Path, parsed: Parsed, table: str, mode: str, scope) -> None:
    """A bad file is refused at once, without waiting for the lock or copying the database.

    Validation runs again under the lock, against the snapshot: the database may change meanwhile."""
    if parsed.problems:
        raise ImportRejected(parsed.problems)
    with closing(_open_live(db_path)) as con:
        prepared = importing.prepare(con, parsed, table, mode, scope)
    if not prepared.ok:
        raise ImportRejected(prepared.problems, prepared.truncated)


def _open_live(db_path: Path):
    try:
        return db.connect(db_path)
    except duckdb.Error as error:  # e.g. a program holds it open for writing
        raise PublishError(f"base illisible : {_first_line(error)} / cannot read the database") from error


def _existing(db_path) -> Path:
    db_path = Path(db_path)
    if not db_path.is_file():
        raise PublishError(f"base introuvable / database not found: {db_path}")
    return db_path


def _not_writable(path: Path, what_fr: str, what_en: str, error: OSError) -> NotWritable:
    if isinstance(error, IsADirectoryError):
        reason_fr, reason_en = "c'est un dossier", "it is a folder"
        do_fr, do_en = "remplacez-le par un fichier ou supprimez-le", "replace it by a file or remove it"
    elif isinstance(error, NotADirectoryError):
        reason_fr, reason_en = "ce n'est pas un dossier", "it is not a folder"
        do_fr, do_en = "déplacez ce fichier ailleurs", "move that file away"
    else:
        try:
            user = getpass.getuser()
        except Exception:  # no user name in a bare container
            user = f"uid {os.getuid()}"
        reason_fr = reason_en = error.strerror or str(error)
        do_fr = (f"rendez-le accessible en écriture à l'utilisateur {user} (droits, attribut immuable : lsattr,"
                 " chattr -i, ou système de fichiers en lecture seule)")
        do_en = (f"make it writable for user {user} (permissions, immutable attribute: lsattr, chattr -i, or a"
                 " read-only file system)")
    return NotWritable(f"impossible d'écrire {what_fr} {path} ({reason_fr}) : rien n'a été publié ; {do_fr}, puis"
                       f" recommencez / cannot write {what_en} {path} ({reason_en}): nothing was published; {do_en},"
                       " then try again")


def _probe_folder(path: Path) -> None:
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
    with tempfile.TemporaryFile(dir=path):  # a real write: permissions alone miss chattr +i and read-only mounts
        pass


def _probe_file(path: Path) -> None:
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder", str(path))
    os.close(os.open(path, os.O_WRONLY | os.O_APPEND))  # opened for appending, nothing written


def check_writable(db_path) -> None:
    """Before anything is published: the database's folder, the lock, versions/ and audit.jsonl can be written
    (or created). Raises NotWritable naming the path; nothing is changed."""
    db_path = Path(db_path)
    checks = [(db_path.parent, _probe_folder, "le dossier de la base", "the database's folder"),
              (lock_path(db_path), _probe_file, "le verrou des imports", "the imports' lock file"),
              (versions_dir(db_path), _probe_folder, "le dossier des versions gardées", "the kept versions' folder"),
              (audit_path(db_path), _probe_file, "le journal d'audit", "the audit log")]
    for path, probe, what_fr, what_en in checks:
        if path != db_path.parent and not (path.exists() or path.is_symlink()):
            continue  # created in the database's folder, checked first
        try:
            probe(path)
        except OSError as error:
            raise _not_writable(path, what_fr, what_en, error) from None


def _after_swap(db_path: Path, entry: dict, keep: int) -> tuple[str | None, list[str]]:
    """The version is live and its audit entry inside it: what fails now is reported, never raised. The next
    import or rollback copies a missing entry into audit.jsonl (_sync_audit_file)."""
    audit_error, notices = None, []
    try:
        _append_audit(db_path, entry)
    except OSError as error:
        path, reason = audit_path(db_path), error.strerror or str(error)
        audit_error = (f"version {entry['version']} publiée et enregistrée dans la base (table {AUDIT_TABLE}), mais"
                       f" {path} n'a pas pu être complété ({reason}) ; le prochain import ou retour arrière le"
                       f" complétera, une fois le fichier accessible en écriture / version {entry['version']} published"
                       f" and recorded in the database (table {AUDIT_TABLE}), but {path} could not be appended to"
                       f" ({reason}); the next import or rollback will catch it up once the file is writable")
    try:
        _prune(db_path, keep)
    except OSError as error:
        notices.append(f"anciennes versions non supprimées de {versions_dir(db_path)} ({error.strerror or error})"
                       f" / old versions not removed from {versions_dir(db_path)} ({error.strerror or error})")
    return audit_error, notices


def _start(db_path: Path) -> None:
    """Under the lock: forget what a killed run left, catch the audit file up with the live database."""
    clean_stale_files(db_path)
    if Path(f"{db_path}.wal").exists():
        # Replacing the file under a write-ahead log would replay the log onto the wrong file.
        raise PublishError(f"la base est ouverte en écriture ailleurs ({db_path}.wal) ; fermez ce programme"
                           f" / the database is open for writing elsewhere ({db_path}.wal); close that program")
    try:
        _sync_audit_file(db_path)
    except OSError as error:  # the preflight passed, then the file changed: still nothing published
        raise _not_writable(audit_path(db_path), "le journal d'audit", "the audit log", error) from None


def _require_schema(con, catalog: str | None = None) -> None:
    differences = schema_differences(con, catalog, allow_missing=(AUDIT_TABLE, *rollups.DERIVED_TABLES),
                                     allow_older=(AUDIT_TABLE,))
    if differences:
        raise PublishError("le schéma de la base diffère de schema.sql ; reconstruisez-la (python -m qmi_metrics"
                           " build) / the database schema differs from schema.sql; rebuild it: "
                           + "; ".join(differences))


def _build_new_version(new: Path, snapshot: Path, prepared: importing.Prepared, version: str, entry: dict,
                       parsed: Parsed) -> None:
    """The snapshot's rows, the file's rows merged into their table, new meta and audit entry: one transaction."""
    con = duckdb.connect(str(new))
    try:
        loader.create_schema(con)
        con.execute(f"ATTACH $path AS {SNAPSHOT} (READ_ONLY)", {"path": str(snapshot)})
        old_tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = $snapshot",
                                                {"snapshot": SNAPSHOT}).fetchall()}
        con.execute("BEGIN TRANSACTION")
        for table in loader.TABLES:
            if table == prepared.table:
                spec = table_schema(table)
                writes.write_merged_table(con, table, [(c.name, c.sql_type) for c in spec.columns], spec.primary_key,
                                          prepared.records, SNAPSHOT, replace=prepared.mode == "replace")
            else:
                writes.copy_table(con, table, SNAPSHOT)
            if table == "sources" and prepared.import_source:
                writes.insert_row(con, "sources", prepared.import_source)
        writes.copy_table(con, "meta", SNAPSHOT)
        loader.set_meta(con, data_version=version, version=version)
        if AUDIT_TABLE in old_tables:
            writes.copy_table(con, AUDIT_TABLE, SNAPSHOT)
        writes.insert_row(con, AUDIT_TABLE, _audit_row(entry))
        rollups.refresh(con)
        con.execute("COMMIT")
        con.execute(f"DETACH {SNAPSHOT}")
        con.execute("CHECKPOINT")
    except duckdb.Error as error:
        raise ImportRejected([Problem(parsed.filename, None, None, None,
                                      f"la base refuse ces données : {_first_line(error)}",
                                      f"the database rejects these rows: {_first_line(error)}")]) from error
    finally:
        con.close()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:300]


# --- checks of a new version ------------------------------------------------------------------


def schema_differences(con, catalog: str | None = None, allow_missing=(), allow_older=()) -> list[str]:
    """How the tables of a database differ from schema.sql (empty when they match). A table of `allow_older` may
    lack columns schema.sql has added at its end since (the new version is made from schema.sql)."""
    expected = {name: [(c.name, c.sql_type) for c in spec.columns] for name, spec in schema_tables().items()}
    rows = db.fetch_rows(con, """
        SELECT table_name, column_name, data_type FROM duckdb_columns()
        WHERE database_name = coalesce($catalog, current_database()) AND schema_name = 'main'
          AND NOT internal AND table_name IN (SELECT table_name FROM duckdb_tables()
                                              WHERE database_name = coalesce($catalog, current_database()))
        ORDER BY table_name, column_index""", {"catalog": catalog})
    actual: dict[str, list] = {}
    for row in rows:
        actual.setdefault(row["table_name"], []).append((row["column_name"], row["data_type"]))
    differences = [f"table absente / missing table: {t}" for t in expected if t not in actual and t not in allow_missing]
    differences += [f"table en trop / unexpected table: {t}" for t in actual if t not in expected]
    differences += [f"colonnes différentes / different columns: {t}" for t in expected
                    if t in actual and actual[t] != expected[t]
                    and not (t in allow_older and expected[t][:len(actual[t])] == actual[t])]
    return differences


def orphan_rows(con) -> list[str]:
    """Foreign keys that do not resolve (DuckDB checks them on insert; this checks the result)."""
    found = []
    for fk in db.fetch_rows(con, """
            SELECT table_name, constraint_column_names AS columns, referenced_table, referenced_column_names AS ref
            FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY' AND database_name = current_database()"""):
        count = db.count_unresolved(con, fk["table_name"], fk["columns"][0], fk["referenced_table"], fk["ref"][0])
        if count:
            found.append(f"{fk['table_name']}.{fk['columns'][0]} → {fk['referenced_table']} : {count}")
    return found


def verify(db_path: Path) -> list[str]:
    """What is wrong with a database file a reader would open: schema, foreign keys, KPIs, meta."""
    problems = []
    with closing(db.connect(db_path)) as con:
        problems += schema_differences(con)
        problems += [f"clé étrangère non résolue / unresolved foreign key: {o}" for o in orphan_rows(con)]
        meta = db.meta(con)
        problems += [f"meta.{key} absent / missing" for key in ("data_version", "synthetic") if key not in meta]
        editions = [r[0] for r in con.execute("SELECT edition_id FROM editions ORDER BY 1").fetchall()]
        for view in (Filters(), *(Filters(edition=e) for e in editions)):
            try:
                kpis.compute_all(con, view)
            except Exception as error:  # any KPI that no longer computes blocks the version
                problems.append(f"indicateur incalculable / KPI fails (édition {view.edition}): {_first_line(error)}")
                break
    return problems


def _verify_or_raise(new: Path, parsed: Parsed | None = None) -> None:
    problems = verify(new)
    if not problems:
        return
    if parsed is None:
        raise PublishError("la version ne passe pas les contrôles / the version fails its checks: " + "; ".join(problems))
    raise ImportRejected([Problem(parsed.filename, None, None, None,
                                  f"la nouvelle version ne passe pas les contrôles : {p}",
                                  f"the new version fails its checks: {p}") for p in problems])


# --- swapping, archiving, pruning ---------------------------------------------------------------


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_in(new: Path, live: Path) -> None:
    """The one visible step: rename the finished file over the live one (atomic on POSIX)."""
    if Path(f"{new}.wal").exists():
        raise PublishError("la nouvelle version n'est pas close (journal .wal présent) / the new version is not closed")
    _fsync(new)
    os.replace(new, live)
    _fsync(live.parent)


def _archive(snapshot: Path, db_path: Path, version: str) -> None:
    """Keep the version being replaced: the snapshot is a byte copy of it."""
    target = version_path(db_path, version)
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        snapshot.unlink(missing_ok=True)
        return
    os.replace(snapshot, target)


def _archive_copy(db_path: Path, version: str) -> None:
    target = version_path(db_path, version)
    if target.exists():
        return
    target.parent.mkdir(exist_ok=True)
    partial = target.with_name(target.name + ".tmp")
    shutil.copyfile(db_path, partial)
    os.replace(partial, target)


def _prune(db_path: Path, keep: int) -> None:
    for version in archived_versions(db_path)[:-keep] if keep > 0 else archived_versions(db_path):
        version_path(db_path, version).unlink(missing_ok=True)


# --- rollback ---------------------------------------------------------------------------------


def rollback(db_path, version: str, by: str | None = None, *, role: str = roles.ADMINISTRATOR,
             keep: int = KEEP_VERSIONS, lock_timeout: float | None = None) -> Result:
    """Make a kept version live again, atomically; recorded in the audit log like an import. The administrator's
    alone (roles.Identity.may_roll_back): the whole file goes back, every commune's rows with it."""
    db_path = _existing(db_path)
    by = who(by)
    if role != roles.ADMINISTRATOR:
        raise NotAllowed(f"le rôle {role} ne permet pas de revenir à une version : seul un administrateur le peut"
                         f" / role {role} may not roll back: only an administrator may")
    check_writable(db_path)
    with exclusive_lock(db_path, lock_timeout, f"retour à {version} par {by}"):
        _start(db_path)
        available = archived_versions(db_path)
        current = current_version(db_path)
        if version == current:
            raise UnknownVersion(f"{version} est déjà la version en service / {version} is already the live version")
        if version not in available:
            raise UnknownVersion(f"version inconnue : {version} ; versions disponibles : {', '.join(available) or '—'}"
                                 f" / unknown version: {version}; available: {', '.join(available) or '—'}")
        entry = _entry("rollback", roles.Identity(by, role), version, current, db_name=db_path.name)
        with _work_files(db_path) as (_, new):
            shutil.copyfile(version_path(db_path, version), new)
            _pause("QMI_TEST_PAUSE_AFTER_COPY")
            _restore_audit_and_version(new, db_path, version, entry)
            _verify_or_raise(new)
            _archive_copy(db_path, current)
            _pause("QMI_TEST_PAUSE_BEFORE_REPLACE")
            _swap_in(new, db_path)
        audit_error, notices = _after_swap(db_path, entry, keep)
        site, site_error = _regenerate_site(db_path)
    return Result(version=version, previous_version=current, entry=entry, notices=notices, audit_error=audit_error,
                  site=site, site_error=site_error)


def _regenerate_site(db_path: Path):
    """The configured showcase follows the new version (under the lock: one regeneration at a time). A failure
    is reported, not raised: the version is published, and the previous site keeps serving until the next one."""
    from qmi_metrics.outputs import site  # the site's pages import most of the package

    try:
        return site.regenerate(db_path), None
    except Exception as error:
        return None, (f"vitrine non régénérée, l'ancienne reste en ligne : {_first_line(error)} / showcase not"
                      f" regenerated, the previous one keeps serving: {_first_line(error)}")


def _restore_audit_and_version(new: Path, db_path: Path, version: str, entry: dict) -> None:
    """The restored file keeps its data and data_version; its audit log becomes the whole log."""
    with closing(duckdb.connect(str(new))) as con:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t",
                           {"t": AUDIT_TABLE}).fetchone()[0]:
            con.execute(_table_sql(AUDIT_TABLE))
        for column in table_schema(AUDIT_TABLE).columns:  # a version from before a column was added: add it
            con.execute(f"ALTER TABLE {AUDIT_TABLE} ADD COLUMN IF NOT EXISTS {db.quote_identifier(column.name)}"
                        f" {column.sql_type}")
        known = {r[0] for r in con.execute(f"SELECT entry_id FROM {AUDIT_TABLE}").fetchall()}
        con.execute("BEGIN TRANSACTION")
        for logged in [*audit_entries(db_path), entry]:
            if logged["entry_id"] not in known:
                writes.insert_row(con, AUDIT_TABLE, _audit_row(logged))
        loader.set_meta(con, version=version)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")


def _table_sql(table: str) -> str:
    with closing(duckdb.connect(":memory:")) as con:
        loader.create_schema(con)
        return con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = $t", {"t": table}).fetchone()[0]


# --- the audit log ----------------------------------------------------------------------------


def _entry(action: str, identity: roles.Identity, version: str, previous: str, *, file=None, sha256=None,
           table=None, mode=None, counts: dict[str, Counts] | None = None, communes: list[str] | None = None,
           db_name: str = "") -> dict:
    """One import or rollback: who, with which role and scope (None: every commune), the communes its rows
    concern (None: the whole programme's, as a rollback's)."""
    mine = (counts or {}).get(table) or Counts()
    return {
        "entry_id": uuid.uuid4().hex, "db": db_name, "action": action, "at": _iso(_now()), "by": identity.name,
        "role": identity.role, "scope": None if identity.scope is None else sorted(identity.scope),
        "communes": communes,
        "file": file, "sha256": sha256, "table": table, "mode": mode,
        "added": mine.added if counts else None, "updated": mine.updated if counts else None,
        "unchanged": mine.unchanged if counts else None, "removed": mine.removed if counts else None,
        "changes": {t: c.as_dict() for t, c in (counts or {}).items()},
        "version": version, "previous_version": previous,
    }


def _audit_row(entry: dict) -> dict:
    at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)
    return {"entry_id": entry["entry_id"], "action": entry["action"], "logged_at": at, "by_user": entry["by"],
            "file_name": entry["file"], "file_sha256": entry["sha256"], "table_name": entry["table"],
            "mode": entry["mode"], "rows_added": entry["added"], "rows_updated": entry["updated"],
            "rows_unchanged": entry["unchanged"], "rows_removed": entry["removed"],
            "changes": json.dumps(entry["changes"], ensure_ascii=False), "version": entry["version"],
            "previous_version": entry["previous_version"], "by_role": entry.get("role"),
            "by_scope": _json_or_null(entry.get("scope")), "communes": _json_or_null(entry.get("communes"))}


def _json_or_null(values: list | None) -> str | None:
    return None if values is None else json.dumps(values)


def _entry_from_row(row: dict, db_name: str) -> dict:
    return {"entry_id": row["entry_id"], "db": db_name, "action": row["action"],
            "at": _iso(row["logged_at"].replace(tzinfo=timezone.utc)), "by": row["by_user"], "file": row["file_name"],
            "sha256": row["file_sha256"], "table": row["table_name"], "mode": row["mode"],
            "added": row["rows_added"], "updated": row["rows_updated"], "unchanged": row["rows_unchanged"],
            "removed": row["rows_removed"], "changes": json.loads(row["changes"] or "{}"),
            "version": row["version"], "previous_version": row["previous_version"],
            # absent from audit tables written before roles: who it was is known, not with which role
            "role": row.get("by_role"), "scope": json.loads(row.get("by_scope") or "null"),
            "communes": json.loads(row.get("communes") or "null")}


def _append_audit(db_path: Path, entry: dict) -> None:
    path = audit_path(db_path)
    # A line cut by a crash must not swallow the next one.
    cut = path.exists() and path.stat().st_size > 0 and _last_byte(path) != b"\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(("\n" if cut else "") + json.dumps(entry, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1)


def _read_audit_file(db_path: Path) -> list[dict]:
    path = audit_path(db_path)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a crash mid-write
            continue
        if entry.get("db") in (None, "", Path(db_path).name):
            entries.append(entry)
    return entries


def _database_audit(db_path: Path) -> list[dict]:
    if not Path(db_path).is_file():
        return []
    with closing(db.connect(db_path)) as con:
        if not db.fetch_value(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t", {"t": AUDIT_TABLE}):
            return []
        rows = db.fetch_rows(con, f"SELECT * FROM {AUDIT_TABLE} ORDER BY logged_at, entry_id")
    return [_entry_from_row(r, Path(db_path).name) for r in rows]


def _sync_audit_file(db_path: Path) -> None:
    """An import killed between publishing and appending to audit.jsonl: the entry is in the database."""
    logged = {e["entry_id"] for e in _read_audit_file(db_path)}
    for entry in _database_audit(db_path):
        if entry["entry_id"] not in logged:
            _append_audit(db_path, entry)


def audit_entries(db_path) -> list[dict]:
    """Every import and rollback of this database, oldest first: audit.jsonl, completed by the database's table."""
    db_path = Path(db_path)
    try:
        entries = _read_audit_file(db_path)
    except (OSError, UnicodeDecodeError) as error:  # e.g. a folder at its path: the database's own table still tells
        print(f"journal d'audit illisible, historique tiré de la base / unreadable audit log, history from the "
              f"database: {audit_path(db_path)} ({error.__class__.__name__})", file=sys.stderr)
        entries = []
    logged = {e["entry_id"] for e in entries}
    entries += [e for e in _database_audit(db_path) if e["entry_id"] not in logged]
    return entries


def history(db_path) -> list[dict]:
    """The versions of the database, newest first: the live one, the kept ones, and those pruned since.

    Each: version, created_at, by, file, sha256, table, mode, changes, action ('import' or 'build'), current (the
    live one), available (can be rolled back to), role, scope, communes (the INSEE codes its rows concern, None:
    the whole programme's or not recorded)."""
    db_path = Path(db_path)
    entries = audit_entries(db_path)
    created = {e["version"]: e for e in entries if e["action"] == "import"}
    replaced = {e["previous_version"] for e in entries if e.get("previous_version")}  # e.g. the first build
    current = current_version(db_path) if db_path.is_file() else None
    kept = set(archived_versions(db_path))
    versions = sorted(set(created) | replaced | kept | ({current} if current else set()), reverse=True)
    rows = []
    for version in versions:
        entry = created.get(version, {})
        rows.append({
            "version": version, "created_at": entry.get("at") or _iso(db.version_time(version)),
            "by": entry.get("by"), "file": entry.get("file"), "sha256": entry.get("sha256"),
            "table": entry.get("table"), "mode": entry.get("mode"), "changes": entry.get("changes") or {},
            "action": "import" if entry else "build", "current": version == current,
            "available": version == current or version in kept,
            "role": entry.get("role"), "scope": entry.get("scope"), "communes": entry.get("communes"),
        })
    return rows
