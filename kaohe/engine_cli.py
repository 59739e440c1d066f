"""Offline engine commands: `kaohe evaluate` and `kaohe scheme validate` (no database)."""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from kaohe.i18n import C_, N_, _, localize, ngettext

if TYPE_CHECKING:
    from kaohe.engine.scheme.model import Scheme
    from kaohe.i18n import Text

INVALID_INPUT = 2

scheme_app = typer.Typer(help=N_("Work with scheme files (YAML or JSON)."), no_args_is_help=True)


class OutputFormat(StrEnum):
    json = "json"
    table = "table"
    explain = "explain"


def register(app: typer.Typer) -> None:
    """Add the engine commands to the root command."""
    app.command("evaluate", help=N_(
        "Score, rank, grade, label and reward one period offline, from files."
        "\n\nExit 0; 1 when a `missing: error` leaf has no facts for some subject (the result is still "
        "written in full); 2 when the inputs cannot be computed (unreadable file, invalid scheme) or the facts "
        "are not for the scheme (their `scheme` or `version` is another's): then nothing is written."))(evaluate)
    app.add_typer(scheme_app, name="scheme")


def _fail(message: str, problems: Sequence[str] = ()) -> NoReturn:
    """Invalid input: a clear message and each problem on its own line on stderr, exit 2."""
    typer.echo(f"kaohe: {localize(message)}", err=True)
    for line in problems:
        typer.echo(line, err=True)
    raise typer.Exit(INVALID_INPUT)


def _load(path: pathlib.Path, what: str) -> dict[str, Any]:
    from kaohe.engine.scheme import DocumentError, DocumentLimit, load_document

    if not path.exists():
        _fail(_("cannot read the %(what)s file %(path)s: no such file", what=what, path=path))
    if not path.is_file():
        _fail(_("cannot read the %(what)s file %(path)s: not a regular file", what=what, path=path))
    try:
        return load_document(path)
    except DocumentLimit as exc:  # a place in the document, as for any invalid scheme
        _fail(_("the %(what)s %(path)s is invalid (1 problem):", what=what, path=path),
              [f"{exc.pointer or '/'}: {localize(exc.sentence)}"])
    except DocumentError as exc:
        _fail(_("cannot read the %(what)s file %(path)s: %(exc)s", what=what, path=path, exc=exc))
    except OSError as exc:
        _fail(_("cannot read the %(what)s file %(path)s: %(strerror)s", what=what, path=path, strerror=exc.strerror))


def _problem_lines(problems: Sequence[Any]) -> list[str]:
    """`WHERE: sentence` per problem, the sentence (a marked message of the engine) in the run's language."""
    return [f"{p.pointer or p.fact or p.subject or '/'}: {localize(p.message)}" for p in problems]


def evaluate(
    scheme: Annotated[pathlib.Path, typer.Option("--scheme", help=N_("The scheme file (YAML or JSON)."))],
    facts: Annotated[pathlib.Path, typer.Option("--facts", help=N_("The facts file (YAML or JSON)."))],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help=N_(
            "json (the §11 result), table (for people) or explain (how each score came about, for people)."))
    ] = OutputFormat.json,
    out: Annotated[pathlib.Path | None, typer.Option("--out", help=N_("Write here instead of stdout."))] = None,
) -> None:
    from kaohe.engine import evaluate as run
    from kaohe.engine import parse_scheme
    from kaohe.engine.evaluate import missing_errors
    from kaohe.engine.ranking import dumps_result, format_table
    from kaohe.engine.ranking.output import format_explanations
    from kaohe.engine.scheme import SchemeInvalid
    from kaohe.engine.scoring.score import facts_belong_to
    from services.common.explanations import render_explanation

    scheme_document = _load(scheme, _("scheme"))
    facts_document = _load(facts, _("facts"))
    try:
        parsed = parse_scheme(scheme_document)
    except SchemeInvalid as exc:
        _fail(ngettext("the scheme %(scheme)s is invalid (%(problems_count)s problem):",
                       "the scheme %(scheme)s is invalid (%(problems_count)s problems):", len(exc.problems),
                       scheme=scheme, problems_count=len(exc.problems)), _problem_lines(exc.problems))
    if not facts_belong_to(parsed, facts_document):
        _fail(_foreign_facts(facts, facts_document, parsed))
    result = run(scheme_document, facts_document)  # valid: parsed above
    if output_format is OutputFormat.json:
        text = dumps_result(result)  # the stored form: English, the same bytes in every language
    elif output_format is OutputFormat.explain:
        text = format_explanations(result, render_explanation)
    else:
        text = format_table(result, by_group=parsed.ranking.scope == "group")
    _write(text, out)
    unfit = missing_errors(result)
    if unfit:
        subjects = sorted({str(p["subject"]) for p in unfit})
        typer.echo(localize(_("kaohe evaluate: %(unfit_count)s `missing: error` leaf/leaves without facts "
                              "(%(subjects)s%(more)s); the result is complete but not fit to publish until their "
                              "evidence is in (see problems)", unfit_count=len(unfit), subjects=", ".join(subjects[:5]),
                              more=" …" if len(subjects) > 5 else "")), err=True)
        raise typer.Exit(1)


def _foreign_facts(path: pathlib.Path, facts: dict[str, Any], scheme: Scheme) -> Text:
    """Why facts of another scheme (or version) are refused: what they name, what the scheme is, what to do."""
    named, version = facts.get("scheme") or scheme.id, facts.get("version")
    if version is None:
        return _("the facts %(path)s are for scheme %(named)s, not %(scheme)s; nothing was computed (evaluate them "
                 "with their own scheme, or set `scheme` and `version` in the facts file)",
                 path=path, named=named, scheme=scheme.id)
    return _("the facts %(path)s are for scheme %(named)s version %(facts_version)s, not %(scheme)s version "
             "%(version)s; nothing was computed (evaluate them with their own scheme, or set `scheme` and `version` "
             "in the facts file)", path=path, named=named, facts_version=version, scheme=scheme.id,
             version=scheme.version)


def _write(text: str, out: pathlib.Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(_("cannot write %(out)s: %(strerror)s", out=out, strerror=exc.strerror))


@scheme_app.command("validate", help=N_(
    "Check a scheme against the contract; print `ok` or every problem as `POINTER: message` (a valid scheme's "
    "warnings, such as a band paying more than its leaf's max, go to stderr as `warning: POINTER: message`)."))
def validate(file: Annotated[pathlib.Path, typer.Argument(help=N_("The scheme file (YAML or JSON)."))]) -> None:
    from kaohe.engine import parse_scheme
    from kaohe.engine.scheme import SchemeInvalid

    document = _load(file, _("scheme"))
    try:
        parsed = parse_scheme(document)
    except SchemeInvalid as exc:
        _fail(ngettext("the scheme %(file)s is invalid (%(problems_count)s problem):",
                       "the scheme %(file)s is invalid (%(problems_count)s problems):", len(exc.problems),
                       file=file, problems_count=len(exc.problems)), _problem_lines(exc.problems))
    for line in _problem_lines(parsed.warnings):  # valid, exit 0: on stderr, so stdout stays `ok`
        typer.echo(localize(_("warning: %(line)s", line=line)), err=True)
    typer.echo(localize(C_("scheme validation", "ok")))
