"""The atheris (libFuzzer) side of the decoder fuzzing, run as ``python -m swsim.verify.fuzz_atheris`` by
:func:`swsim.verify.fuzz.fuzz_decoders`, because ``atheris.Fuzz()`` never returns: libFuzzer ends the process when
its time box (``-max_total_time``) is spent.

The decoders' own modules (``schemas``) are instrumented for coverage; the fuzzing starts from every message type's
valid sample, with a dictionary of the samples' element names and of markup tokens. Crashes (anything other than
:class:`~schemas.errors.MessageError`) are counted, not raised, and the counts are written to ``--report`` as they
change, because libFuzzer's exit skips Python's exit handlers. atheris is optional (``pip install 'swsim[fuzz]'``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import re
import sys
import time
from pathlib import Path
from types import ModuleType

REPORT_EVERY_S = 0.5
TOKENS = {
    "xml": [b"<", b"</", b"/>", b"&amp;", b"&#", b"<![CDATA[", b"<!--", b"<?", b' xmlns="', b'"', b"\xef\xbb\xbf"],
    "json": [b"{", b"}", b"[", b"]", b'":', b"null", b"true", b"1e999", b"NaN", b"\\u0000", b"\\ud800"],
}


def _atheris() -> ModuleType:
    return importlib.import_module("atheris")


def _escape(token: bytes) -> str:
    """A libFuzzer dictionary entry: printable ASCII as is, everything else (and quotes, backslashes) as \\xNN."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in token)


def write_seeds(target: str, samples: list[bytes], workdir: Path) -> tuple[Path, Path]:
    """The starting corpus (one file per sample) and the dictionary (samples' names and markup tokens)."""
    corpus = workdir / f"corpus-{target}"
    corpus.mkdir(parents=True, exist_ok=True)
    for i, sample in enumerate(samples):
        (corpus / f"sample-{i:02d}").write_bytes(sample)
    pattern = rb"<(\w+)" if target == "xml" else rb'"(\w+)":'
    names = sorted({m for s in samples for m in re.findall(pattern, s)})
    tokens = TOKENS[target] + [b"<" + n + b">" if target == "xml" else b'"' + n + b'"' for n in names]
    dictionary = workdir / f"dict-{target}.txt"
    dictionary.write_text("".join(f'"{_escape(t)}"\n' for t in tokens))
    return corpus, dictionary


class Harness:
    """The function libFuzzer calls with each input: decode, count, record crashes, report now and then."""

    def __init__(self, target: str, report: Path) -> None:
        from swsim.verify.fuzz import CRASH_DIR, DECODERS, Tally

        self.decoder = DECODERS[target]
        self.tally = Tally(crash_dir=report.parent / CRASH_DIR)
        self.report = report
        self.next_report = 0.0

    def __call__(self, data: bytes) -> None:
        crashes = self.tally.crashes
        self.tally.attempt(self.decoder, data)
        now = time.monotonic()
        if now >= self.next_report or (self.tally.crashes != crashes and crashes < 100):
            self.next_report = now + REPORT_EVERY_S
            self.write()

    def write(self) -> None:
        t = self.tally
        doc = {"inputs": t.inputs, "crashes": t.crashes, "examples": t.examples, "slowest_ms": t.slowest_s * 1000}
        tmp = self.report.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        tmp.replace(self.report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--target", choices=("xml", "json"), required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--until", type=float, required=True, help="Unix time at which to stop fuzzing")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    atheris = _atheris()
    with atheris.instrument_imports(include=["schemas"]):  # the decoders' own code, for coverage feedback
        from schemas.codec import encode
        from schemas.samples import all_samples

        harness = Harness(args.target, args.report)
    samples = [encode(m, args.target) for m in all_samples().values()]
    corpus, dictionary = write_seeds(args.target, samples, args.workdir)
    harness.write()
    seconds = max(1, math.floor(args.until - time.time()))  # what is left after the imports and instrumentation
    libfuzzer = [
        sys.argv[0],
        str(corpus),
        f"-dict={dictionary}",
        f"-max_total_time={seconds}",
        f"-max_len={4 * max(len(s) for s in samples)}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        f"-artifact_prefix={args.workdir}/",
    ]
    if args.seed is not None:
        libfuzzer.append(f"-seed={args.seed or 1}")
    atheris.Setup(libfuzzer, harness)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
