"""Decoder fuzzing: a short time-boxed run finds no crash, and the crash accounting is shown to count crashes."""

from __future__ import annotations

import json
import time
from pathlib import Path

from schemas.errors import Issue, MessageError
from swsim.verify.fuzz import (
    CRASH_DIR,
    TARGETS,
    atheris_available,
    fuzz_decoders,
    fuzz_with_hypothesis,
    inputs_for,
)

SECONDS = 10.0


def test_decoders_survive_a_time_boxed_run(tmp_path: Path) -> None:
    t0 = time.monotonic()
    results = fuzz_decoders(SECONDS, seed=20260314, workdir=tmp_path)
    took = time.monotonic() - t0
    engines = ["hypothesis"] + (["atheris"] if atheris_available() else [])
    assert sorted((r.engine, r.target) for r in results) == sorted((e, t) for e in engines for t in TARGETS)
    for r in results:
        assert r.crashes == 0, json.dumps(r.to_dict(), indent=1)
        assert r.inputs >= 20 * r.seconds, r.to_dict()  # measured here: hypothesis 200-600/s, atheris 2,000-9,000/s
        assert r.seconds <= SECONDS / len(TARGETS) + 10
    assert took <= SECONDS + 20
    assert not (tmp_path / CRASH_DIR).exists()


def _buggy_decoder(data: bytes) -> object:
    """Refuses most input properly, but lets a standard-library error through on some: what the fuzzer hunts."""
    if b"<" in data[:1]:
        return json.loads(data)  # JSONDecodeError or UnicodeDecodeError: not the project's own error
    raise MessageError([Issue("XML_MALFORMED", "refused", "/")])


def test_crash_accounting_counts_what_it_should(tmp_path: Path) -> None:
    result = fuzz_with_hypothesis("toy", _buggy_decoder, inputs_for("xml"), 2.0, seed=1, crash_dir=tmp_path)
    assert result.inputs > result.crashes > 0  # the refusals (MessageError) are not crashes
    assert result.examples
    assert all(e.startswith(("JSONDecodeError", "UnicodeDecodeError")) for e in result.examples)
    assert "_buggy_decoder" in result.examples[0]  # where the project's own code let it through
    saved = list(tmp_path.iterdir())
    assert 1 <= len(saved) <= len(result.examples)
    assert result.seconds < 2.0 + 2
