"""``audit``: run the dataset checks, explain a code, list and review stored findings."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import ConfigError
from ._app import cli
from ._context import AppContext
from ._output import (
    count_column,
    emit_json,
    id_column,
    json_option,
    show,
    table,
    text_column,
    wrapped,
)

if TYPE_CHECKING:
    from ..audit import AuditReport, StoredFinding

_SHOWN_PER_CODE = 5  # findings printed per check after the summary (--all for every one)


@cli.group("audit", invoke_without_command=True)
@click.option("--release", help="Audit this release instead of the whole catalog.")
@click.option(
    "--select",
    multiple=True,
    help="Checks to run: codes (BAL001), prefixes (BAL), families (balance) or names; "
    "comma-separated or repeated. Default: all.",
)
@click.option("--ignore", multiple=True, help="Checks to leave out (as --select).")
@click.option(
    "--option",
    "option_values",
    multiple=True,
    metavar="CODE.NAME=VALUE",
    help='Override a check\'s option for this run (VALUE in TOML: 20, 0.5, "x", ["a"]).',
)
@click.option(
    "--predictions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Out-of-sample predicted probabilities for the label checks (.npz; see docs/audit.md).",
)
@click.option("--explain", "explain_code", metavar="CODE", help="Print a check's documentation.")
@click.option("--list", "list_checks", is_flag=True, help="List every check and exit.")
@click.option("--all", "show_all", is_flag=True, help="Print every finding, not the first few.")
@click.option("--no-store", is_flag=True, help="Do not keep the findings in the catalog.")
@json_option
@click.pass_context
def audit_group(
    ctx: click.Context,
    release: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    option_values: tuple[str, ...],
    predictions: Path | None,
    explain_code: str | None,
    list_checks: bool,
    show_all: bool,
    no_store: bool,
    as_json: bool,
) -> None:
    """Check the catalog (or a release) for dataset problems, each under a code.

    Prints one row per check and the first findings of each; exits 1 when an
    error-level check has a finding nobody has reviewed. Findings are kept in
    the catalog for the explorer and for `synsetdb audit review`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..audit import AuditConfig, explain, run_audit

    if explain_code:
        click.echo(explain(explain_code))
        return
    if list_checks:
        _list_checks(as_json)
        return
    app: AppContext = ctx.obj
    config = AuditConfig(
        release=release,
        select=select,
        ignore=ignore,
        options=_parse_options(option_values),
        predictions=predictions,
        store=not no_store,
    )
    report = run_audit(app.project, config)
    if as_json:
        emit_json(report.to_dict())
    else:
        _print_report(report, show_all)
    if not report.ok:
        ctx.exit(1)


def _parse_options(values: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``CODE.NAME=VALUE`` pairs, VALUE read as TOML (a bare word is a string)."""
    import tomllib

    parsed: dict[str, dict[str, Any]] = {}
    for text in values:
        name, eq, raw = text.partition("=")
        code, dot, option = name.strip().partition(".")
        if not (eq and dot and code and option):
            raise ConfigError(f"--option {text!r}: write CODE.NAME=VALUE", code="E_CONFIG")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        parsed.setdefault(code.strip().upper(), {})[option.strip()] = value
    return parsed


def _list_checks(as_json: bool) -> None:
    from ..audit import registry

    checks = registry().values()
    if as_json:
        emit_json(
            [
                {
                    "code": c.code,
                    "name": c.name,
                    "family": c.family,
                    "level": c.level,
                    "summary": c.summary,
                    "options": dict(c.options),
                    "scope": c.scope,
                }
                for c in checks
            ]
        )
        return
    rows = table(id_column("code"), id_column("level"), text_column("check"))
    for c in checks:
        rows.add_row(c.code, c.level, f"{c.name}: {c.summary}")
    show(rows)


def _print_report(report: AuditReport, show_all: bool) -> None:
    from rich.markup import escape

    where = f"release {report.scope}" if report.scope else "the catalog"
    rows = table(
        id_column("code"),
        id_column("level"),
        text_column("check"),
        count_column("found"),
        count_column("open"),
        count_column("reviewed"),
    )
    skipped = []
    for row in report.summary():
        if row["skipped"]:
            skipped.append(f"{row['code']} {row['name']}: {row['skipped']}")
            continue
        reviewed = row["accepted"] + row["dismissed"]
        rows.add_row(
            row["code"],
            row["level"],
            escape(row["name"]),
            f"{row['found']:,}",
            f"{row['open']:,}",
            f"{reviewed:,}",
        )
    click.echo(f"Audit of {where}:")
    show(rows)
    if skipped:
        click.echo(f"Not run ({len(skipped)}):")
        for line in skipped:
            click.echo(wrapped(line, indent=2))
    for result in report.results:
        opened = report.open_findings(result)
        if not opened:
            continue
        shown = opened if show_all else opened[:_SHOWN_PER_CODE]
        click.echo()
        click.echo(f"{result.check.code} {result.check.name} ({len(opened):,} open):")
        for one in shown:
            click.echo(wrapped(f"{one.fingerprint[:10]}  {one.message}", indent=2))
            if one.action:
                click.echo(wrapped(f"-> {one.action}", indent=14))
        if len(shown) < len(opened):
            click.echo(
                f"  … and {len(opened) - len(shown):,} more (--all, or --json for every one)"
            )
    click.echo()
    failed = ", ".join(r.check.code for r in report.failed)
    verdict = (
        f"FAILED: open error-level findings in {failed}"
        if failed
        else "passed: no open error-level finding"
    )
    click.echo(
        wrapped(
            f"Audit {verdict}. Review one with `synsetdb audit review FINGERPRINT "
            "--accept|--dismiss --reason TEXT`; `synsetdb audit --explain CODE` says "
            "what a check looks for."
        )
    )


@audit_group.command("review")
@click.argument("fingerprint")
@click.option("--accept", "status", flag_value="accepted", help="A real problem, kept knowingly.")
@click.option("--dismiss", "status", flag_value="dismissed", help="Not a problem (needs --reason).")
@click.option("--reopen", "status", flag_value="reopen", help="Take a review back.")
@click.option("--reason", help="Why (required to dismiss).")
@click.option("--by", "actor", help="Who reviews (default: your login name).")
@json_option
@click.pass_obj
def review_cmd(
    app: AppContext,
    fingerprint: str,
    status: str | None,
    reason: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Mark a finding reviewed by (a prefix of) its fingerprint, as `audit` prints it."""
    from ..audit import clear_review, review_finding

    if status is None:
        raise click.UsageError("say --accept, --dismiss or --reopen")
    catalog = app.project.catalog
    if status == "reopen":
        full = clear_review(catalog, fingerprint)
        if as_json:
            emit_json({"fingerprint": full, "review": None})
        else:
            click.echo(f"{full[:10]} is open again")
        return
    review = review_finding(
        catalog, fingerprint, status, actor=actor or getpass.getuser(), reason=reason
    )
    if as_json:
        emit_json(review.to_dict())
    else:
        click.echo(
            wrapped(
                f"{review.fingerprint[:10]} {review.code} {review.subject}: {review.status}"
                + (f" ({review.reason})" if review.reason else "")
            )
        )


@audit_group.command("findings")
@click.option(
    "--release", help="The findings of this release's last audit (default: the catalog's)."
)
@click.option("--code", "codes", multiple=True, help="Only these codes (repeatable).")
@click.option("--open", "state", flag_value="open", help="Only findings nobody reviewed.")
@click.option("--reviewed", "state", flag_value="reviewed", help="Only reviewed findings.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@json_option
@click.pass_obj
def findings_cmd(
    app: AppContext,
    release: str | None,
    codes: tuple[str, ...],
    state: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the findings the last audit stored, without running the checks again."""
    from ..audit import list_findings

    found, total = list_findings(
        app.project.catalog,
        release or "",
        codes=[c.upper() for c in codes],
        state=state,
        limit=limit,
    )
    if as_json:
        emit_json({"total": total, "findings": [one.to_dict() for one in found]})
        return
    _print_stored(found)
    if total > len(found):
        click.echo(f"… {total - len(found):,} more (--limit)")
    if not total:
        click.echo(
            "no stored findings: run `synsetdb audit` first" if not codes else "no such findings"
        )


def _print_stored(found: list[StoredFinding]) -> None:
    from rich.markup import escape

    rows = table(
        id_column("fingerprint"), id_column("code"), text_column("finding"), text_column("review")
    )
    for one in found:
        review = "-" if one.review is None else f"{one.review.status} by {one.review.actor}"
        rows.add_row(one.fingerprint[:10], one.code, escape(one.message), escape(review))
    if found:
        show(rows)
