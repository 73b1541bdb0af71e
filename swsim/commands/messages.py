"""``swsim validate``, ``swsim samples``, ``swsim schemas``: the message-format tools for integration teams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from schemas.codec import Report, encode, validate
from schemas.errors import Issue
from schemas.jsonschema import generate_json_schema
from schemas.registry import SPECS
from schemas.samples import all_samples
from schemas.xmlcodec import DEFAULT_MAX_BYTES
from schemas.xsd import generate_xsd
from swsim.commands.consoles import console

out = console()
err = console(stderr=True)

_SUFFIXES = (".xml", ".json")


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _SUFFIXES))
        else:
            files.append(p)
    return files


def validate_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(help="XML or JSON message files, or folders of them (*.xml, *.json).", exists=True),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")] = False,
    max_bytes: Annotated[int, typer.Option(help="Refuse messages larger than this.", min=1)] = DEFAULT_MAX_BYTES,
) -> None:
    """Validate messages against the published schemas and rules; every error with code, location and fix.

    Exit status: 0 if all are valid, 1 if any is invalid, 2 on usage errors or if a file cannot be read.
    """
    targets = _expand(files)
    if not targets:
        err.print("[red]no .xml or .json files found in the given folders[/red]")
        raise typer.Exit(2)
    results = [(f, _check(f, max_bytes)) for f in targets]
    unreadable = sum(1 for _, r in results if isinstance(r, str))
    invalid = sum(1 for _, r in results if isinstance(r, Report) and not r.ok)
    valid = len(results) - invalid - unreadable
    if as_json:
        doc = {
            "files": [{"file": str(f), **_entry(r)} for f, r in results],
            "valid": valid,
            "invalid": invalid,
            "unreadable": unreadable,
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for f, r in results:
            if isinstance(r, str):
                out.print(f"[red]unreadable[/red] {escape(str(f))}: {escape(r)}")
            elif r.ok:
                out.print(f"[green]valid[/green]   {escape(str(f))}  ({r.message_type}, {r.format})")
            else:
                out.print(f"[red]invalid[/red] {escape(str(f))}  ({len(r.issues)} error(s))")
                for i in r.issues:
                    line = f" line {i.line}" if i.line is not None else ""
                    where, message = _one_line(i.location or "/"), _one_line(i.message)
                    out.print(f"  [bold]{i.code}[/bold] at {escape(where)}{line}: {escape(message)}")
        colour = "green" if not invalid and not unreadable else "red"
        tail = f", {unreadable} unreadable" if unreadable else ""
        out.print(f"[{colour}]{valid} valid, {invalid} invalid{tail}[/{colour}]")
    raise typer.Exit(2 if unreadable else 1 if invalid else 0)


def _check(f: Path, max_bytes: int) -> Report | str:
    """The file's report, or why it could not be read. A file over the limit is not read (nor a pipe or device,
    which could block or never end)."""
    try:
        if not f.is_file():
            return "not a regular file"
        size = f.stat().st_size
        if size > max_bytes:
            issue = Issue("PAYLOAD_TOO_LARGE", f"the message has {size} bytes; the limit is {max_bytes}", "/")
            return Report(None, None, [issue])
        with f.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # it may have grown since
    except OSError as e:
        return e.strerror or str(e)
    return validate(data, max_bytes=max_bytes)


def _entry(r: Report | str) -> dict[str, object]:
    if isinstance(r, Report):
        return r.to_dict()
    error = {"code": "FILE_UNREADABLE", "message": f"cannot read the file: {r}", "location": ""}
    return {"valid": False, "format": None, "message_type": None, "errors": [error]}


def _one_line(text: str) -> str:
    """Line breaks quoted from the message written as escapes: each error stays on one line of output."""
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def samples_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write xml/ and json/ samples into.")],
    seed: Annotated[int, typer.Option(help="Seed for the synthetic parties and containers.")] = 7,
) -> None:
    """Write a valid sample of every message type in both encodings (synthetic parties, valid check characters)."""
    samples = all_samples(seed)
    with _writing(out_dir):
        for fmt in ("xml", "json"):
            folder = out_dir / fmt
            folder.mkdir(parents=True, exist_ok=True)
            for code, message in samples.items():
                (folder / f"{code.value}.{fmt}").write_bytes(encode(message, fmt, pretty=True))
    xml, js = (escape(str(out_dir / fmt)) for fmt in ("xml", "json"))
    out.print(f"wrote {len(samples)} message types x 2 encodings to {xml} and {js}")


def schemas_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write xsd/ and json/ schemas into.")],
) -> None:
    """Write the XSD and JSON Schema of every message type, plus index.json listing them."""
    with _writing(out_dir):
        index = _write_schemas(out_dir)
    out.print(f"wrote {len(index)} XSDs and {len(index)} JSON Schemas to {escape(str(out_dir))}")


@contextmanager
def _writing(out_dir: Path) -> Iterator[None]:
    """Turn a folder that cannot be written (a file, no permission, a full disk) into a clear error, exit status 2."""
    if out_dir.exists() and not out_dir.is_dir():
        err.print(f"[red]cannot write to {escape(str(out_dir))}: it is a file, not a folder[/red]")
        raise typer.Exit(2)
    try:
        yield
    except OSError as e:
        where = escape(str(e.filename or out_dir))
        err.print(f"[red]cannot write to {where}: {escape(e.strerror or str(e))}[/red]")
        raise typer.Exit(2) from None


def _write_schemas(out_dir: Path) -> list[dict[str, str]]:
    (out_dir / "xsd").mkdir(parents=True, exist_ok=True)
    (out_dir / "json").mkdir(parents=True, exist_ok=True)
    index = []
    for code, spec in SPECS.items():
        (out_dir / "xsd" / f"{code.value}.xsd").write_text(generate_xsd(spec), encoding="utf-8")
        schema = generate_json_schema(spec)
        (out_dir / "json" / f"{code.value}.schema.json").write_text(
            json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        index.append(
            {
                "message_type": code.value,
                "title": spec.info.title,
                "code_status": spec.info.status,
                "namespace": spec.namespace,
                "root": spec.root,
                "body": spec.body_element,
                "xsd": f"xsd/{code.value}.xsd",
                "json_schema": f"json/{code.value}.schema.json",
            }
        )
    (out_dir / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return index
