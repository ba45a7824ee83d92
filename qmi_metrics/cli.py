"""Command line: python -m qmi_metrics build | kpis | reconcile | demo."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import db, formatting, kpis, loader, reconcile
from .filters import UnknownFilterValue, resolve

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _open(db_path: Path | None):
    path = Path(db_path) if db_path else loader.default_db_path()
    if not path.exists():
        if db_path is None or path.resolve() == loader.DEFAULT_DB_PATH.resolve():
            loader.build(path)
        else:
            raise FileNotFoundError(f"base introuvable / database not found: {path}")
    return db.connect(path)


def cmd_build(args) -> int:
    counts = loader.build(args.db)
    path = Path(args.db) if args.db else loader.default_db_path()
    print(f"Base construite / database built: {path}")
    print(_table([[t, str(n)] for t, n in counts.items()], ["table", "lignes/rows"]))
    return EXIT_OK


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
             formatting.value(r.published_value, r.unit, args.lang) if r.published else "",
             r.source or ""] for r in results]
    print(_table(rows, ["id", "indicateur", "valeur", "couverture", "publié", "source"]))
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
    counts = {s: sum(r.status == s for r in report) for s in (reconcile.AGREES, reconcile.DIFFERS, reconcile.NOT_COMPUTABLE)}
    print(f"\n{len(report)} chiffres publiés : {counts['agrees']} concordent, {counts['differs']} diffèrent,"
          f" {counts['not computable']} non calculables.")
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


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m qmi_metrics",
                                  description="Données et indicateurs des Quartiers Métropolitains d'Innovation.")
    commands = top.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="(re)construire la base depuis data/")
    build.add_argument("--db", type=Path, help="chemin de la base (défaut : $QMI_DB ou data/qmi.duckdb)")
    build.set_defaults(run=cmd_build)

    for name, run, help_text in (("kpis", cmd_kpis, "calculer les indicateurs"),
                                 ("reconcile", cmd_reconcile, "confronter les chiffres publiés aux données")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--db", type=Path)
        command.add_argument("--format", choices=("json", "table"), default="table")
        command.add_argument("--lang", choices=("fr", "en"), default="fr")
        command.set_defaults(run=run)
        if name == "kpis":
            command.add_argument("--edition", help="numéro d'édition (1, 2…)")
            command.add_argument("--commune", help="nom ou code INSEE")
            command.add_argument("--theme", help="défi (slug, ex. economie-circulaire)")

    demo = commands.add_parser("demo", help="construire une base synthétique")
    demo.add_argument("--scale", type=_scale, required=True, help="facteur K (ex. 3) ou S, M, L")
    demo.add_argument("--db", type=Path, required=True)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=cmd_demo)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
