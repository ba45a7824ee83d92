"""Command line: python -m qmi_metrics build | kpis | reconcile | contradictions | demo | template | import | history
| rollback | report | export-parquet | export-site | export-opendata | digest."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qmi_metrics.admin import catalogue, importing, problems, publishing, readers, roles, templates
from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.metrics.filters import UnknownFilterValue, resolve
from qmi_metrics.present import formatting, narratives, vocabulary
from qmi_metrics.store import db, loader, settings

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_LOCKED = 0, 1, 2, 3


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _database(db_path: Path | None) -> Path:
    """--db, else $QMI_DB, else data/qmi.duckdb; the reference database is built on first use."""
    path = Path(db_path) if db_path else loader.default_db_path()
    if not path.exists():
        if db_path is None or path.resolve() == loader.DEFAULT_DB_PATH.resolve():
            loader.build(path)
        else:
            raise FileNotFoundError(f"base introuvable / database not found: {path}")
    return path


def _open(db_path: Path | None):
    """A database file, a folder written by export-parquet, or MotherDuck (md:<db>): the same KPI SQL runs on each."""
    from qmi_metrics.store import parquet

    if db_path is not None and parquet.is_motherduck(str(db_path)):
        return parquet.open_source(str(db_path))
    if db_path is not None and (Path(db_path) / parquet.MANIFEST).is_file():
        return parquet.connect_parquet(db_path)
    return db.connect(_database(db_path))


def cmd_build(args) -> int:
    path = Path(args.db) if args.db else loader.default_db_path()
    imports = loader.imported_entries(path)
    if imports is None and not args.force:
        print(f"{path} est illisible (abîmée, tronquée ou pas une base DuckDB). Pour repartir de data/ : ajoutez"
              " --force ; pour retrouver les imports, restaurez plutôt une version gardée dans versions/"
              " (voir docs/IMPORT.md). / the file cannot be read (damaged, truncated or not DuckDB). Add --force to"
              " rebuild it from data/, or restore a version kept in versions/ to keep the imports.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if imports and not args.force:
        print(f"{path} contient {imports} import(s) de gestionnaires : la reconstruire depuis data/ les effacerait."
              " Ajoutez --force pour le faire (les versions précédentes restent récupérables par `rollback`)."
              f" / {path} holds {imports} managers' import(s): rebuilding from data/ would drop them."
              " Add --force to do it (previous versions stay available through `rollback`).", file=sys.stderr)
        return EXIT_BAD_INPUT
    counts = loader.build(path)
    print(f"Base construite / database built: {path}")
    print(_table([[t, str(n)] for t, n in counts.items()], ["table", "lignes/rows"]))
    _regenerate_site(path)
    return EXIT_OK


def _regenerate_site(db_path: Path) -> None:
    """The configured showcase (QMI_SITE_DIR) follows the database; its failure is said, the database stays."""
    from qmi_metrics.outputs import site

    try:
        summary = site.regenerate(db_path)
    except Exception as error:  # the previous site keeps serving
        print(f"Vitrine non régénérée, l'ancienne reste en ligne / showcase not regenerated, the previous one"
              f" keeps serving: {error}", file=sys.stderr)
        return
    if summary:
        print(f"Vitrine / showcase: {summary.out} ({len(summary.rendered)}/{summary.pages} pages)")


def cmd_kpis(args) -> int:
    con = _open(args.db)
    try:
        view = resolve(con, edition=args.edition, commune=args.commune, theme=args.theme)
    except UnknownFilterValue as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    results = kpis.compute_all(con, view)
    if args.format == "json":
        print(json.dumps([r.as_dict(args.lang) for r in results], ensure_ascii=False, indent=2))
        return EXIT_OK
    rows = [[r.id, r.kpi.label(args.lang), formatting.value(r.value, r.unit, args.lang),
             f"{r.covered}/{r.total if r.total is not None else '?'}",
             ", ".join(dict.fromkeys(vocabulary.basis_label(b.basis, args.lang) for b in r.bases)),
             formatting.value(r.published_value, r.unit, args.lang) if r.published else "",
             r.source or ""] for r in results]
    # base: the rows the computed value rests on that their sources do not state (the rules: --format json)
    print(_table(rows, ["id", "indicateur", "valeur", "couverture", "base", "publié", "source"]))
    if db.is_synthetic(con):
        print("\nDONNÉES SYNTHÉTIQUES / SYNTHETIC DATA")
    return EXIT_OK


def cmd_reconcile(args) -> int:
    con = _open(args.db)
    report = reconcile.reconcile(con)
    if args.format == "json":
        print(json.dumps([r.as_dict(args.lang) for r in report], ensure_ascii=False, indent=2))
        return EXIT_OK
    rows = [[r.figure.figure_id, formatting.value(r.figure.value, r.figure.unit, args.lang),
             formatting.value(r.computed_value, r.figure.unit, args.lang) if r.kpi_id else "—", r.status,
             (r.explanation_en if args.lang == "en" else r.explanation_fr)] for r in report]
    print(_table(rows, ["figure", "publié", "calculé", "statut", "explication"]))
    print("\n" + narratives.findings_summary(report, args.lang))
    return EXIT_OK


def cmd_contradictions(args) -> int:
    con = _open(args.db)
    found = reconcile.contradictions(con, args.lang)
    if args.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return EXIT_OK
    rows = [[c["contradiction_id"], vocabulary.words(vocabulary.CONTRADICTION_KINDS, c["kind"], args.lang),
             c["topic"], c["page"]] for c in found]
    print(_table(rows, ["contradiction", "nature", "sujet", "page"] if args.lang == "fr"
                 else ["contradiction", "kind", "topic", "page"]))
    return EXIT_OK


def _scale(text: str):
    if text.upper() in ("S", "M", "L"):
        return text.upper()
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("échelle : un nombre > 0 ou S, M, L / scale: a number > 0 or S, M, L")
    if value <= 0:
        raise argparse.ArgumentTypeError("l'échelle doit être > 0 / scale must be > 0")
    return value


def cmd_demo(args) -> int:
    if args.scale == "S":
        counts = loader.build(args.db)
        print(f"Échelle S = la base de référence / scale S = the reference database: {args.db}")
    else:
        try:
            counts = loader.build_synthetic(args.db, scale=args.scale, seed=args.seed)
        except ValueError as error:
            print(error, file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"Base SYNTHÉTIQUE construite / SYNTHETIC database built: {args.db} (échelle {args.scale}, graine {args.seed})")
    print(_table([[t, str(n)] for t, n in counts.items()], ["table", "lignes/rows"]))
    return EXIT_OK


def _identity(args) -> roles.Identity:
    """Who the command acts as (docs/IMPORT.md, « Droits par commune »): --as, an e-mail or a password account
    that secrets.toml declares (--secrets); else --role and --scope as given; else the operator who holds the
    database's files, an administrator. A bad value is a SettingError: exit 2."""
    if args.as_who:
        if args.role or args.scope:
            raise settings.SettingError("--as ou bien --role/--scope, pas les deux", "--as or --role/--scope, not both")
        found = roles.declared(settings.secrets_file(args.secrets)).resolve(args.as_who)
        if found is None:
            raise settings.SettingError(
                f"--as {args.as_who} : ni une adresse de [roles] ou [admin] emails, ni un compte de [accounts] de"
                f" {args.secrets}", f"--as {args.as_who}: neither an address of [roles] or [admin] emails nor an"
                f" account of [accounts] in {args.secrets}")
        return roles.Identity(getattr(args, "by", None) or found.name, found.role, found.scope)
    role = args.role or (roles.COMMUNE_EDITOR if args.scope else roles.ADMINISTRATOR)
    if args.scope and role != roles.COMMUNE_EDITOR:
        raise settings.SettingError("--scope : pour --role commune_editor seulement",
                                    "--scope: for --role commune_editor only")
    scope = roles.parse_scope(args.scope or "") if role == roles.COMMUNE_EDITOR else None
    return roles.Identity(publishing.who(getattr(args, "by", None)), role, scope)


def _identity_arguments(command) -> None:
    command.add_argument("--as", dest="as_who", metavar="QUI",
                         help="agir comme cette adresse e-mail ou ce compte de secrets.toml (son rôle, ses communes)")
    command.add_argument("--role", choices=roles.ROLES, help="rôle (défaut : administrator, celui qui tient les fichiers)")
    command.add_argument("--scope", metavar="INSEE,…", help="communes d'un commune_editor, p. ex. 93066,93070")
    command.add_argument("--secrets", type=Path, default=settings.SECRETS_FILE,
                         help="fichier des rôles pour --as (défaut : .streamlit/secrets.toml)")


def cmd_template(args) -> int:
    path = Path(args.db) if args.db else loader.default_db_path()
    identity = _identity(args)
    con = db.connect(path) if path.exists() else None  # with a database, the xlsx lists valid identifiers
    try:
        written = templates.write_template(args.table, args.out, con, identity.scope)
    except ValueError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        if con is not None:
            con.close()
    for out in written:
        print(f"Modèle écrit / template written: {out}")
    return EXIT_OK


def _print_counts(counts: dict) -> None:
    rows = [[table, str(c.added), str(c.updated), str(c.unchanged), str(c.removed)] for table, c in counts.items()]
    print(_table(rows, ["table", "ajoutées/added", "mises à jour/updated", "inchangées/unchanged",
                        "supprimées/removed"]))


def _print_rejection(rejected: publishing.ImportRejected) -> None:
    print(f"Import refusé : {len(rejected.problems)} erreur(s), rien n'a été écrit"
          f" / Import rejected: {len(rejected.problems)} error(s), nothing was written", file=sys.stderr)
    for line in problems.report_lines(rejected.problems, truncated=rejected.truncated):
        print(line, file=sys.stderr)


def _refusal(error: Exception) -> int:
    """Say why a publish or a rollback was refused; the exit code tells which kind of refusal."""
    if isinstance(error, publishing.ImportRejected):
        _print_rejection(error)
        return EXIT_BAD_INPUT
    print(error, file=sys.stderr)
    if isinstance(error, (publishing.UnknownVersion, publishing.NotAllowed)):
        return EXIT_BAD_INPUT
    return EXIT_LOCKED if isinstance(error, publishing.LockTimeout) else EXIT_ERROR


def cmd_import(args) -> int:
    db_path = _database(args.db)
    identity = _identity(args)
    parsed = readers.read_file(args.file, table=args.table)
    try:
        result = publishing.publish_import(db_path, parsed, args.table, args.mode, by=identity.name,
                                           role=identity.role, scope=identity.scope, lock_timeout=args.wait)
    except publishing.PublishError as error:
        return _refusal(error)
    for notice in result.notices:
        print(notice)
    if result.warnings:
        print(f"{len(result.warnings)} avertissement(s), import accepté / {len(result.warnings)} warning(s),"
              " import accepted:")
        for line in problems.report_lines(result.warnings):
            print(f"  {line}")
    print(f"Import publié / import published: {parsed.filename} → {args.table} ({args.mode}),"
          f" version {result.version} (précédente / previous: {result.previous_version})")
    _print_counts(result.counts)
    if result.audit_error:
        print(result.audit_error, file=sys.stderr)
    _print_site(result)
    return EXIT_OK


def _print_site(result: publishing.Result) -> None:
    if result.site_error:
        print(result.site_error, file=sys.stderr)
    elif result.site:
        print(f"Vitrine / showcase: {result.site.out} ({len(result.site.rendered)}/{result.site.pages} pages)")


def _changes(counts: dict) -> str:
    return ", ".join(f"{table} +{c['added']} ~{c['updated']} ={c['unchanged']}" + (f" -{c['removed']}" if c["removed"] else "")
                     for table, c in counts.items())


def cmd_history(args) -> int:
    db_path = Path(args.db) if args.db else loader.default_db_path()
    if not db_path.exists():
        raise FileNotFoundError(f"base introuvable / database not found: {db_path}")
    versions = publishing.history(db_path)
    if args.format == "json":
        print(json.dumps(versions, ensure_ascii=False, indent=2))
        return EXIT_OK
    state = lambda v: "en service/live" if v["current"] else ("disponible/kept" if v["available"] else "supprimée/pruned")  # noqa: E731
    role = lambda v: v["role"] + (f" {','.join(v['scope'])}" if v["scope"] else "") if v["role"] else "—"  # noqa: E731
    rows = [[v["version"], v["created_at"], v["by"] or "—", role(v),
             v["file"] or ("(construction/build)" if v["action"] == "build" else "—"),
             v["table"] or "—", v["mode"] or "—", _changes(v["changes"]) or "—", state(v)] for v in versions]
    print(_table(rows, ["version", "date (UTC)", "par/by", "rôle/role", "fichier/file", "table", "mode",
                        "changements/changes", "état/state"]))
    return EXIT_OK


def cmd_rollback(args) -> int:
    db_path = _database(args.db)
    identity = _identity(args)
    try:
        result = publishing.rollback(db_path, args.version, by=identity.name, role=identity.role,
                                     lock_timeout=args.wait)
    except publishing.PublishError as error:
        return _refusal(error)
    print(f"Version {result.version} remise en service (remplace {result.previous_version})"
          f" / version {result.version} is live again (replaces {result.previous_version})")
    for notice in result.notices:
        print(notice)
    if result.audit_error:
        print(result.audit_error, file=sys.stderr)
    _print_site(result)
    return EXIT_OK


def _lock_wait() -> float:
    return settings.value("QMI_LOCK_TIMEOUT")


def cmd_hash_password(args) -> int:
    import getpass

    from qmi_metrics.admin import auth

    password = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass("Mot de passe / password: ")
    if len(password) < 12:
        print("12 caractères au moins / at least 12 characters", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(auth.hash_password(password))
    return EXIT_OK


# --- reports ---------------------------------------------------------------------------------------------

def _report_format(args) -> str:
    """--format, else the --out file's suffix when it names a format, else PDF."""
    if args.format:
        return args.format
    suffix = Path(args.out).suffix.lower().lstrip(".")
    suffix = {"htm": "html", "ppt": "pptx"}.get(suffix, suffix)
    return suffix if suffix in ("pdf", "html", "pptx") else "pdf"


def _with_progress(names: list[str], always: bool, file=None):
    """Yields each name; a tqdm bar on stderr (stdout stays for results) counts and names the ones done. Drawn
    on a terminal, silent elsewhere unless `always` (--progress: a log, CI)."""
    from tqdm import tqdm

    with tqdm(total=len(names), file=file or sys.stderr, disable=False if always else None,
              bar_format="[{n_fmt}/{total_fmt}] {bar:24} {desc} ({elapsed}<{remaining})") as bar:
        for name in names:
            yield name
            bar.update()
            bar.set_description_str(name)  # redraws now, so that each name shows whatever tqdm's pace


def _write(path: Path, data: bytes) -> None:
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def cmd_report(args) -> int:
    from qmi_metrics.outputs import pptx, reports  # plotly, WeasyPrint and python-pptx load only for this command

    con = _open(args.db)
    allowed = ("pdf", "html", "pptx") if args.kind == "edition" else ("pdf", "html")
    fmt = _report_format(args)
    if fmt not in allowed:
        print(f"Format {fmt} : possible pour « report edition » seulement / only for `report edition`."
              f" Formats possibles / valid formats: {', '.join(allowed)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.kind == "project":
            return _report_projects(con, args, fmt, reports)
        if args.kind == "commune":
            report = reports.commune_report(con, args.commune, args.edition, args.lang)
            data = reports.render_report(report, fmt)
        elif fmt == "pptx":
            data = pptx.edition_deck(con, args.edition, args.lang, args.url,
                                     settings.configured("QMI_PUBLIC_SITE_URL", settings.secrets_file()))
        else:
            data = reports.render_report(reports.edition_report(con, args.edition, args.lang), fmt)
    except (UnknownFilterValue, reports.UnknownProject) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    _write(args.out, data)
    print(f"Fichier écrit / file written: {args.out}")
    return EXIT_OK


def _report_projects(con, args, fmt: str, reports) -> int:
    if bool(args.project) == bool(args.all):
        print("Donnez un identifiant de projet ou --all / give a project id or --all", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.project:
        data = reports.render_report(reports.project_sheet(con, args.project, args.lang), fmt)
        _write(args.out, data)
        print(f"Fichier écrit / file written: {args.out}")
        return EXIT_OK
    edition = resolve(con, edition=args.edition).edition
    ids = reports.project_ids(con, edition)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for project_id in _with_progress(ids, args.progress):
        _write(out / f"{project_id}.{fmt}", reports.render_report(reports.project_sheet(con, project_id, args.lang), fmt))
    print(f"{len(ids)} fiches écrites dans / sheets written to: {out}")
    return EXIT_OK


def _report_parser(commands) -> None:
    report = commands.add_parser("report", help="fiche évaluation d'un projet, rapport de commune ou d'édition, diapositives")
    kinds = report.add_subparsers(dest="kind", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", type=Path, required=True, help="fichier à écrire (dossier avec --all)")
    common.add_argument("--db", type=Path)
    common.add_argument("--lang", choices=("fr", "en"), default="fr")

    project = kinds.add_parser("project", parents=[common], help="fiche évaluation d'un projet (ou de tous : --all)")
    project.add_argument("project", nargs="?", help="identifiant du projet (ex. purple)")
    project.add_argument("--all", action="store_true", help="tous les projets de la base, un fichier chacun dans --out")
    project.add_argument("--edition", help="avec --all : les projets de cette édition seulement")
    project.add_argument("--progress", action="store_true",
                         help="avec --all : barre de progression même hors d'un terminal (journal, CI)")
    project.add_argument("--format", choices=("pdf", "html"))

    commune = kinds.add_parser("commune", parents=[common], help="rapport d'une commune lauréate")
    commune.add_argument("commune", help="nom ou code INSEE")
    commune.add_argument("--edition", help="numéro d'édition (défaut : toutes)")
    commune.add_argument("--format", choices=("pdf", "html"))

    edition = kinds.add_parser("edition", parents=[common], help="rapport d'une édition, ou ses diapositives (pptx)")
    edition.add_argument("edition", help="numéro d'édition")
    edition.add_argument("--format", choices=("pdf", "html", "pptx"))
    edition.add_argument("--url", default="http://localhost:8501",
                         help="adresse du tableau de bord pour la dernière diapositive (défaut : http://localhost:8501)")
    report.set_defaults(run=cmd_report)


# --- export-parquet ------------------------------------------------------------------------------

def cmd_export_parquet(args) -> int:
    from qmi_metrics.store import parquet

    source = args.db or str(loader.default_db_path())
    try:
        manifest = parquet.export(source, args.out)
    except parquet.ExportError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Export Parquet écrit / Parquet export written: {args.out} (data_version {manifest['data_version']})")
    print(_table([[name, str(t["rows"])] for name, t in manifest["tables"].items()], ["table", "lignes/rows"]))
    return EXIT_OK


def _export_parquet_parser(commands) -> None:
    export = commands.add_parser("export-parquet", help="exporter chaque table en Parquet (+ manifest.json)")
    export.add_argument("--db", help="base DuckDB, ou md:<base> sur MotherDuck (défaut : $QMI_DB ou data/qmi.duckdb)")
    export.add_argument("--out", type=Path, required=True, help="dossier à écrire (remplacé d'un coup s'il existe)")
    export.set_defaults(run=cmd_export_parquet)


# --- export-site --------------------------------------------------------------------------------

def cmd_export_site(args) -> int:
    from qmi_metrics.outputs import site

    db_path = _database(args.db)
    try:
        summary = site.build(db_path, args.out, site.dashboard_url(), workers=args.workers)
    except site.SiteError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Vitrine écrite / showcase written: {summary.out} → {summary.folder.name}: {summary.pages} pages,"
          f" {len(summary.rendered)} rendues / rendered, {summary.seconds:.1f} s; la plus lourde / largest:"
          f" {summary.largest_page} ({summary.largest_gz_bytes / 1024:.0f} Kio gzip)")
    return EXIT_OK


def _export_site_parser(commands) -> None:
    export = commands.add_parser("export-site", help="écrire la vitrine statique (HTML sans JavaScript, fr et en)")
    export.add_argument("--out", type=Path, required=True,
                        help="dossier de la vitrine : un lien vers DOSSIER.versions/…, remplacé d'un coup")
    export.add_argument("--db", type=Path)
    export.add_argument("--workers", type=int, default=2, help="processus de rendu (défaut : 2)")
    export.set_defaults(run=cmd_export_site)


# --- export-opendata ------------------------------------------------------------------------------

def cmd_export_opendata(args) -> int:
    from qmi_metrics.outputs import opendata

    con = db.connect(_database(args.db))
    try:
        written = opendata.write(con, args.out)
    except (opendata.SyntheticDatabase, FileExistsError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        con.close()
    package = json.loads(written["datapackage.json"])
    print(f"Données ouvertes écrites / open data written: {args.out} (version {package['version']},"
          f" {len(package['resources'])} tables, {opendata.EXCEL_FR})")
    return EXIT_OK


def _export_opendata_parser(commands) -> None:
    export = commands.add_parser("export-opendata", help="écrire les tables publiques en données ouvertes (CSV, Table"
                                                        " Schema, datapackage.json, Excel FR)")
    export.add_argument("--out", type=Path, required=True, help="dossier à écrire (remplacé d'un coup s'il existe)")
    export.add_argument("--db", type=Path)
    export.set_defaults(run=cmd_export_opendata)


# --- digest -------------------------------------------------------------------------------------

def _moment(text: str):
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("date et heure ISO attendues, p. ex. 2026-12-07T08:00Z"
                                         " / an ISO date and time expected, e.g. 2026-12-07T08:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _period(text: str):
    from qmi_metrics.outputs import digest

    try:
        return digest.parse_period(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def cmd_digest(args) -> int:
    from datetime import datetime, timezone

    from qmi_metrics.outputs import digest
    from qmi_metrics.reads import freshness

    db_path = _database(args.db)
    end = args.now or datetime.now(timezone.utc)  # the command's clock: everything below takes it as an argument
    found = digest.build(db_path, end, args.since, args.lang, freshness.thresholds(settings.secrets_file()))
    for path in digest.write(found, args.out):
        print(f"Fichier écrit / file written: {path}")
    return EXIT_OK


def _digest_parser(commands) -> None:
    summary = commands.add_parser("digest", help="résumé de la période : HTML pour un courriel, pièces jointes CSV")
    summary.add_argument("--since", type=_period, default="7d", help="durée de la période : 7d (défaut), 24h, 2w")
    summary.add_argument("--out", type=Path, required=True, help="dossier où écrire digest.html et les CSV")
    summary.add_argument("--db", type=Path)
    summary.add_argument("--lang", choices=("fr", "en"), default="fr")
    summary.add_argument("--now", type=_moment,
                         help="fin de la période, ISO (défaut : maintenant) : refaire le résumé d'une semaine passée")
    summary.set_defaults(run=cmd_digest)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m qmi_metrics",
                                  description="Données et indicateurs des Quartiers Métropolitains d'Innovation.")
    commands = top.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="(re)construire la base depuis data/")
    build.add_argument("--db", type=Path, help="chemin de la base (défaut : $QMI_DB ou data/qmi.duckdb)")
    build.add_argument("--force", action="store_true", help="reconstruire même si la base contient des imports")
    build.set_defaults(run=cmd_build)

    for name, run, help_text in (("kpis", cmd_kpis, "calculer les indicateurs"),
                                 ("reconcile", cmd_reconcile, "confronter les chiffres publiés aux données"),
                                 ("contradictions", cmd_contradictions,
                                  "lister les contradictions entre les documents, citations à l'appui")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--db", type=Path)
        command.add_argument("--format", choices=("json", "table"), default="table")
        command.add_argument("--lang", choices=("fr", "en"), default="fr")
        command.set_defaults(run=run)
        if name == "kpis":
            command.add_argument("--edition", help="numéro d'édition (1, 2…)")
            command.add_argument("--commune", help="nom ou code INSEE")
            command.add_argument("--theme", help="défi (slug, ex. economie-circulaire)")

    hashing = commands.add_parser("hash-password", help="empreinte du mot de passe administrateur pour secrets.toml")
    hashing.add_argument("--stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    hashing.set_defaults(run=cmd_hash_password)

    demo = commands.add_parser("demo", help="construire une base synthétique")
    demo.add_argument("--scale", type=_scale, required=True, help="facteur K (ex. 3) ou S, M, L")
    demo.add_argument("--db", type=Path, required=True)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=cmd_demo)

    template = commands.add_parser("template", help="écrire un modèle à remplir (.xlsx ou .csv)")
    template.add_argument("--table", required=True, choices=catalogue.IMPORTABLE_TABLES)
    template.add_argument("--out", type=Path, required=True, help="FICHIER.xlsx ou FICHIER.csv")
    template.add_argument("--db", type=Path, help="base dont le modèle .xlsx liste les identifiants valides")
    _identity_arguments(template)  # a commune editor's .xlsx: pre-filled with its communes' rows
    template.set_defaults(run=cmd_template)

    load = commands.add_parser("import", help="importer un fichier (CSV ou .xlsx) dans une table")
    load.add_argument("file", type=Path)
    load.add_argument("--table", required=True, choices=catalogue.IMPORTABLE_TABLES)
    load.add_argument("--db", type=Path)
    load.add_argument("--mode", choices=importing.MODES, default="append",
                      help="append : ajouter (défaut) ; upsert : ajouter ou mettre à jour ; replace : remplacer la table")
    load.add_argument("--by", help="qui importe (défaut : $QMI_USER, sinon l'utilisateur du système)")
    load.add_argument("--wait", type=float, default=_lock_wait(),
                      help="secondes d'attente si un autre import est en cours (défaut : $QMI_LOCK_TIMEOUT ou 60)")
    _identity_arguments(load)
    load.set_defaults(run=cmd_import)

    history = commands.add_parser("history", help="versions publiées de la base")
    history.add_argument("--db", type=Path)
    history.add_argument("--format", choices=("json", "table"), default="table")
    history.set_defaults(run=cmd_history)

    back = commands.add_parser("rollback", help="remettre en service une version précédente")
    back.add_argument("version")
    back.add_argument("--db", type=Path)
    back.add_argument("--by")
    back.add_argument("--wait", type=float, default=_lock_wait())
    _identity_arguments(back)
    back.set_defaults(run=cmd_rollback)

    _report_parser(commands)
    _export_parquet_parser(commands)
    _export_site_parser(commands)
    _export_opendata_parser(commands)
    _digest_parser(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    from qmi_metrics.store.parquet import ExportError

    try:
        args = parser().parse_args(argv)  # --wait's default reads $QMI_LOCK_TIMEOUT
        return args.run(args)
    except (FileNotFoundError, ExportError, settings.SettingError) as error:  # e.g. md:<db> without a token
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
