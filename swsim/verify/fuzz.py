"""Fuzzing the XML and JSON decoders, time-boxed: hypothesis in this process (structure-aware mutations of valid
samples, plus raw bytes) and, when it is installed, atheris (coverage-guided libFuzzer) in a child process.

A *crash* is any exception other than the project's own validation error, :class:`schemas.errors.MessageError`:
every input must either decode or be refused with stable error codes. Crashes are recorded, not raised, so one run
counts them all and keeps going.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from lxml import etree

from schemas.codec import Format, decode, detect_format, encode
from schemas.errors import MessageError
from schemas.samples import all_samples

Decoder = Callable[[bytes], object]
T = TypeVar("T")
TARGETS: tuple[Format, ...] = ("xml", "json")
MAX_EXAMPLES = 5
CRASH_DIR = "crashes"
RETIME_S = 0.05
"""An input slower than this is timed a second time, and the faster of the two counts."""


@dataclass
class FuzzResult:
    """What one engine did to one decoder within its time box."""

    engine: str
    """``hypothesis`` or ``atheris``."""
    target: str
    """``xml`` or ``json``."""
    seconds: float
    inputs: int
    """Inputs tried."""
    crashes: int
    """Inputs that raised anything other than :class:`MessageError`."""
    examples: list[str] = field(default_factory=list)
    """One short line per distinct crash (exception type and where the project's code let it through), at most
    five: the exception, its message and the start of the input."""
    slowest_ms: float = 0.0
    """The slowest single input (a slow input is a denial of service even when it is refused); one that took
    long is timed again and the faster time counts, so that a garbage-collector pause is not taken for it."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "target": self.target,
            "seconds": round(self.seconds, 2),
            "inputs": self.inputs,
            "inputs_per_s": round(self.inputs / self.seconds, 1) if self.seconds > 0 else 0.0,
            "crashes": self.crashes,
            "examples": self.examples,
            "slowest_ms": round(self.slowest_ms, 2),
        }


_ROOT = Path(__file__).resolve().parents[2]


def crash_origin(exc: BaseException) -> str:
    """Where the project's own code raised or let through ``exc``: its deepest frame outside installed packages."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(_ROOT)) and "site-packages" not in f.filename]
    if not frames:
        return "?"
    frame = (ours or frames)[-1]
    where = Path(frame.filename)
    shown = where.relative_to(_ROOT) if where.is_relative_to(_ROOT) else where.name
    return f"{shown}:{frame.lineno} ({frame.name})"


def describe_crash(data: bytes, exc: BaseException) -> str:
    """A short line naming the exception, where it came from, and the input that raised it."""
    shown = data[:80]
    more = f"... ({len(data)} bytes)" if len(data) > len(shown) else ""
    return f"{type(exc).__name__} at {crash_origin(exc)}: {str(exc)[:100]} <- {shown!r}{more}"


@dataclass
class Tally:
    """Counts inputs and crashes of one run; keeps the first input of each distinct crash (exception type and
    origin), as a short line and, given ``crash_dir``, as a file to reproduce it with."""

    inputs: int = 0
    crashes: int = 0
    examples: list[str] = field(default_factory=list)
    slowest_s: float = 0.0
    crash_dir: Path | None = None
    _kinds: set[str] = field(default_factory=set)

    def attempt(self, decoder: Decoder, data: bytes) -> None:
        """Run ``decoder`` on ``data``: a :class:`MessageError` is a refusal, anything else a crash."""
        self.inputs += 1
        t0 = time.perf_counter()
        try:
            decoder(data)
        except MessageError:
            pass
        except Exception as exc:  # anything but the project's own error is what we count
            self.crash(data, exc)
        elapsed = time.perf_counter() - t0
        if elapsed > max(self.slowest_s, RETIME_S):  # a new slowest: time it again, to tell it from a GC pause
            elapsed = min(elapsed, _time_once(decoder, data))
        self.slowest_s = max(self.slowest_s, elapsed)

    def crash(self, data: bytes, exc: BaseException) -> None:
        """Count a crash; keep the first input of each distinct kind."""
        self.crashes += 1
        kind = f"{type(exc).__name__} at {crash_origin(exc)}"
        if kind in self._kinds or len(self._kinds) >= MAX_EXAMPLES:
            return
        self._kinds.add(kind)
        self.examples.append(describe_crash(data, exc))
        if self.crash_dir is not None:
            self.crash_dir.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha256(kind.encode()).hexdigest()[:12]
            (self.crash_dir / f"crash-{type(exc).__name__}-{name}.bin").write_bytes(data)

    def result(self, engine: str, target: str, seconds: float) -> FuzzResult:
        """What the run did, as a :class:`FuzzResult` of ``engine`` on ``target``."""
        return FuzzResult(
            engine, target, seconds, self.inputs, self.crashes, list(self.examples), self.slowest_s * 1000
        )


def _time_once(decoder: Decoder, data: bytes) -> float:
    t0 = time.perf_counter()
    with suppress(Exception):
        decoder(data)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------------------- decoders


def decode_xml_input(data: bytes) -> object:
    """The XML decoder as the gateway reaches it: format detection, then decoding with every check and rule."""
    _detect(data)
    return decode(data, "xml")


def decode_json_input(data: bytes) -> object:
    """The JSON decoder as the gateway reaches it: format detection, then decoding with every check and rule."""
    _detect(data)
    return decode(data, "json")


def _detect(data: bytes) -> None:
    with suppress(MessageError):
        detect_format(data)


DECODERS: dict[str, Decoder] = {"xml": decode_xml_input, "json": decode_json_input}


# -------------------------------------------------------------------------------------------------------- the engine


class _StopFuzz(Exception):
    """Raised from inside the property once the time box is spent: hypothesis's way out of a huge max_examples."""


@dataclass
class _TimeBox:
    """``seconds`` from the first time it is asked."""

    seconds: float
    started: float | None = None

    def spent(self) -> bool:
        if self.started is None:
            self.started = time.monotonic()
        return time.monotonic() - self.started >= self.seconds

    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started


def fuzz_with_hypothesis(
    target: str,
    decoder: Decoder,
    inputs: st.SearchStrategy[bytes],
    seconds: float,
    seed: int | None = None,
    crash_dir: Path | None = None,
) -> FuzzResult:
    """Feed ``decoder`` inputs drawn from ``inputs`` for ``seconds``; count crashes instead of failing. The time box
    opens with the first input, so that hypothesis's one-off set-up (its Unicode tables) does not eat it."""
    tally = Tally(crash_dir=crash_dir)
    box = _TimeBox(seconds)

    @settings(
        max_examples=10**9,
        deadline=None,
        database=None,
        derandomize=False,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
    )
    @given(inputs)
    def run(data: bytes) -> None:
        if box.spent():
            raise _StopFuzz
        tally.attempt(decoder, data)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    with suppress(_StopFuzz):
        run()
    return tally.result("hypothesis", target, box.elapsed())


# ------------------------------------------------------------------------------------------------------- the inputs


@functools.cache
def sample_bytes(fmt: Format) -> tuple[bytes, ...]:
    """Every message type's valid sample, encoded in ``fmt``: the seeds that mutations start from."""
    return tuple(encode(m, fmt) for m in all_samples().values())


_MARKUP = (
    b"<", b">", b"</", b"/>", b"<x>", b"</x>", b"<![CDATA[x]]>", b"]]>", b"<!-- c -->", b"<?pi x?>", b"<?xml ?>",
    b"<!DOCTYPE x>", b'<!ENTITY e "x">', b"&", b"&amp;", b"&lt;", b"&#0;", b"&#x1F600;", b"&#xD800;", b"&#1114112;",
    b"&e;", b"&#13;", b' a="1"', b' xmlns="urn:x"', b' xmlns:p="urn:x"', b"<p:x/>", b'<?xml version="1.0" '
    b'encoding="ISO-8859-1"?>', b"{", b"}", b"[", b"]", b",", b":", b'"', b"null", b"true", b"-0", b"1e999",
    b"NaN", b"-Infinity", b"\\u0000", b"\\ud800", b'\\"', b'"X": 1,', b'"Head": {},', b"[]", b"{}",
)  # fmt: skip
_BAD_BYTES = (
    b"\xff",
    b"\xfe\xff",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"\x00",
    b"\xef\xbb\xbf",
)
_STRUCTURAL = frozenset(b'<>"{}[]:,')
_HOSTILE_TEXT = (
    "", " ", "0", "-1", "+5", " 12 ", "00012", "1_000", "2147483648", "-2147483649", "1e5", "1E+400", "0.0001",
    "-0.0", "NaN", "inf", "-Infinity", "１２３", "٣", "99999999999999999999999999999", "1.23456789012345678901",
    "20260229", "20250229", "99991231", "00000101", "20261301", "20260314120000000", "20260314246000000",
    "99991231235959999", "00000000000000000", "USCI+", "AEO+CN", "9999", "CNCTU", "cnctu", "XXXXX", "0000000000",
    "ABCU1234567", "x" * 513, "\u202e", "\ufeff", "a\tb", "a\nb", "\U0001f600", "<", "&",
)  # fmt: skip
_CONTROLS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r")
_XML_CHARS = st.characters(codec="utf-8", exclude_characters=_CONTROLS + "\ufffe\uffff")  # utf-8: no surrogates
"""Characters lxml accepts as element text (no C0 controls but tab/newline/CR, no surrogates, no U+FFFE/F)."""

# Strategies are built once: building one inside every draw costs more than the decoding it feeds.
_INDEX = st.integers(0, 2**24)
_COIN = st.booleans()
_REPEATS = st.integers(1, 4)
_DEEP = st.integers(1, 3000)
_PAYLOADS = st.one_of(
    st.sampled_from(_MARKUP),
    st.sampled_from(_BAD_BYTES),
    st.integers(-(10**40), 10**40).map(lambda n: str(n).encode()),
    st.floats().map(lambda f: repr(f).encode()),
    st.integers(1, 5000).map(lambda n: b"9" * n),
    _DEEP.map(lambda n: b"<a>" * n + b"</a>" * n),
    _DEEP.map(lambda n: b"<a>" * n),
    _DEEP.map(lambda n: b"[" * n + b"]" * n),
    _DEEP.map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(_HOSTILE_TEXT).map(str.encode),
    st.binary(max_size=16),
)
"""Bytes to insert: markup and escapes, bad UTF-8, huge numbers, deep nesting, unicode, anything."""
_LEAF_TEXT = st.one_of(st.sampled_from(_HOSTILE_TEXT), st.text(_XML_CHARS, max_size=40))
_BYTE_OPS = st.sampled_from(("flip", "truncate", "delete", "insert", "splice", "repeat"))
_XML_OPS = st.sampled_from(("text", "remove", "duplicate", "move", "attribute", "rename", "clear", "nest", "tail"))
_JSON_OPS = st.sampled_from(("replace", "drop", "add", "wrap", "unwrap", "retype"))


def _below(draw: st.DrawFn, n: int) -> int:
    """A number in ``range(n)`` (``n`` > 0), from one fixed strategy."""
    return draw(_INDEX) % n


def _pick(draw: st.DrawFn, items: Sequence[T]) -> T:
    return items[_below(draw, len(items))]


def _position(draw: st.DrawFn, data: bytearray) -> int:
    """Anywhere, or (half the time) right at or after a structural character, where mutations do the most."""
    if draw(_COIN):
        marks = [i for i, b in enumerate(data) if b in _STRUCTURAL]
        if marks:
            return _pick(draw, marks) + _below(draw, 2)
    return _below(draw, len(data) + 1)


def _byte_mutation(draw: st.DrawFn, data: bytearray, seeds: tuple[bytes, ...]) -> bytearray:
    """One byte-level edit: flip, truncate, delete, insert a payload, splice another sample, repeat a slice."""
    op = draw(_BYTE_OPS)
    pos = _position(draw, data)
    if op == "flip" and pos < len(data):
        data[pos] ^= 1 + _below(draw, 255)
    elif op == "truncate":
        del data[pos:]
    elif op == "delete":
        del data[pos : pos + 1 + _below(draw, 64)]
    elif op == "insert":
        data[pos:pos] = draw(_PAYLOADS)
    elif op == "splice":
        other = _pick(draw, seeds)
        start = _below(draw, len(other))
        data[pos:pos] = other[start : start + 1 + _below(draw, 512)]
    elif op == "repeat":
        chunk = bytes(data[pos : pos + 1 + _below(draw, 64)])
        data[pos:pos] = chunk * (1 + _below(draw, 50))
    return data


@st.composite
def byte_mutated(draw: st.DrawFn, fmt: Format) -> bytes:
    """A valid sample of ``fmt`` with one to four byte-level edits."""
    seeds = sample_bytes(fmt)
    data = bytearray(_pick(draw, seeds))
    for _ in range(draw(_REPEATS)):
        data = _byte_mutation(draw, data, seeds)
    return bytes(data)


def _xml_edit(draw: st.DrawFn, root: etree._Element) -> None:
    """One tree edit of a parsed sample: the markup stays well-formed, the structure and values do not."""
    elements = list(root.iter())
    el, other = _pick(draw, elements), _pick(draw, elements)
    parent = el.getparent()
    op = draw(_XML_OPS)
    if op == "text":
        el.text = draw(_LEAF_TEXT)
    elif op == "remove" and parent is not None:
        parent.remove(el)
    elif op == "duplicate" and parent is not None:
        parent.insert(parent.index(el), copy.deepcopy(el))
    elif op == "move" and other is not el and el not in other.iterancestors():
        other.append(copy.deepcopy(el))
    elif op == "attribute":
        el.set(_pick(draw, ("a", "{urn:x}b", "MessageType")), draw(_LEAF_TEXT))
    elif op == "rename":
        el.tag = other.tag if draw(_COIN) else "{urn:x}" + etree.QName(el).localname
    elif op == "clear":
        el.clear()
    elif op == "nest" and parent is not None:
        _nest(el, parent, 1 + _below(draw, 60))
    elif op == "tail" and parent is not None:
        el.tail = draw(_LEAF_TEXT)


def _nest(el: etree._Element, parent: etree._Element, depth: int) -> None:
    """Wrap ``el`` in ``depth`` elements of its own name."""
    outer = etree.Element(el.tag)
    inner = outer
    for _ in range(depth - 1):
        inner = etree.SubElement(inner, el.tag)
    parent.replace(el, outer)
    inner.append(el)


@st.composite
def xml_tree_mutated(draw: st.DrawFn) -> bytes:
    """A valid XML sample with one to three tree edits, serialised with or without the XML declaration."""
    root = etree.fromstring(_pick(draw, sample_bytes("xml")))
    for _ in range(draw(_REPEATS)):
        _xml_edit(draw, root)
    return bytes(etree.tostring(root, xml_declaration=draw(_COIN), encoding="UTF-8"))


def _containers(kids: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)


_JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), st.sampled_from(_HOSTILE_TEXT),
    st.text(max_size=20),
)  # fmt: skip
JSON_VALUES = st.recursive(_JSON_LEAVES, _containers, max_leaves=8)
"""Any JSON value, with hostile leaves (huge and non-finite numbers, odd strings)."""


def _json_nodes(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key or index) in a decoded JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, k
            yield from _json_nodes(v)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from _json_nodes(v)


def _json_edit(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    """One edit of a decoded sample: replace, drop, add a key, wrap in or unwrap from a list, flip a type."""
    nodes = list(_json_nodes(doc))
    if not nodes:  # everything was dropped
        return
    container, key = _pick(draw, nodes)
    value = container[key]
    op = draw(_JSON_OPS)
    if op == "replace":
        container[key] = draw(JSON_VALUES)
    elif op == "drop":
        del container[key]
    elif op == "add" and isinstance(value, dict):
        value[_pick(draw, _json_names())] = draw(JSON_VALUES)
    elif op == "wrap":
        container[key] = [value]
    elif op == "unwrap" and isinstance(value, list) and value:
        container[key] = value[0]
    elif op == "retype":
        container[key] = _retyped(value)


def _retyped(value: Any) -> Any:
    """The same value with another JSON type: a number as text, numeric text as a number, else text."""
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,40}", value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return json.dumps(value)


@functools.cache
def _json_names() -> tuple[str, ...]:
    """Every key the samples use: added where they do not belong, they probe unknown-key handling."""
    return tuple(sorted({k for s in sample_bytes("json") for k in re.findall(r'"(\w+)":', s.decode())}))


@st.composite
def json_tree_mutated(draw: st.DrawFn) -> bytes:
    """A valid JSON sample with one to four edits of its decoded document."""
    doc = json.loads(_pick(draw, sample_bytes("json")))
    for _ in range(draw(_REPEATS)):
        _json_edit(draw, doc)
    return json.dumps(doc, ensure_ascii=draw(_COIN)).encode("utf-8", "surrogatepass")


def raw_inputs(fmt: Format) -> st.SearchStrategy[bytes]:
    """Unstructured bytes and text, bare or behind the first character of ``fmt``."""
    lead = b"<" if fmt == "xml" else b"{"
    return st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=512).map(lambda b: lead + b),
        st.text(max_size=200).map(lambda s: (lead.decode() + s).encode("utf-8", "surrogatepass")),
    )


def inputs_for(fmt: Format) -> st.SearchStrategy[bytes]:
    """Everything the fuzzer feeds the ``fmt`` decoder."""
    tree = xml_tree_mutated() if fmt == "xml" else json_tree_mutated()
    return st.one_of(byte_mutated(fmt), tree, raw_inputs(fmt))


# ------------------------------------------------------------------------------------------------------------ atheris


def atheris_available() -> bool:
    """True if the optional ``atheris`` package is installed (``pip install 'swsim[fuzz]'``)."""
    return importlib.util.find_spec("atheris") is not None


@dataclass
class _AtherisRun:
    target: str
    proc: subprocess.Popen[bytes]
    report: Path
    log: Path
    started: float
    budget: float


def _start_atheris(target: str, seconds: float, seed: int | None, workdir: Path) -> _AtherisRun:
    """Start ``python -m swsim.verify.fuzz_atheris`` on ``target`` for about ``seconds``."""
    report, log = workdir / f"atheris-{target}.json", workdir / f"atheris-{target}.log"
    args = [sys.executable, "-m", "swsim.verify.fuzz_atheris", "--target", target, "--report", str(report)]
    args += ["--workdir", str(workdir), "--until", str(time.time() + seconds)]
    if seed is not None:
        args += ["--seed", str(seed)]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    return _AtherisRun(target, proc, report, log, time.monotonic(), seconds)


def _finish_atheris(run: _AtherisRun) -> FuzzResult:
    """Wait for the child and read its report; a child that died (timeout, out of memory) counts as a crash."""
    try:
        code = run.proc.wait(timeout=run.budget + 60)
    except subprocess.TimeoutExpired:
        run.proc.kill()
        code = run.proc.wait()
    seconds = time.monotonic() - run.started
    log = run.log.read_text(errors="replace")
    doc: dict[str, Any] = json.loads(run.report.read_text()) if run.report.exists() else {}
    counts = (int(doc.get("inputs", 0)), int(doc.get("crashes", 0)))
    examples, slowest = list(doc.get("examples", [])), float(doc.get("slowest_ms", 0.0))
    result = FuzzResult("atheris", run.target, seconds, *counts, examples, slowest)
    executed = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    if executed:
        result.inputs = max(result.inputs, int(executed.group(1)))
    if code != 0:  # libFuzzer's own verdicts (timeout, out of memory), or a child that never got to fuzz
        reason = re.search(r"ERROR: libFuzzer: ([^\n]+)", log)
        when = "" if doc else " before fuzzing"
        result.crashes += 1
        result.examples.append(f"atheris child exited {code}{when}: {reason.group(1) if reason else log[-300:]}")
    return result


# -------------------------------------------------------------------------------------------------------------- run


@contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="swsim-fuzz-") as tmp:
        yield Path(tmp)


def fuzz_decoders(seconds: float, seed: int | None = None, workdir: Path | None = None) -> list[FuzzResult]:
    """Fuzz the XML and JSON decoders for about ``seconds`` in all: hypothesis here, half the time per target,
    and atheris (if installed) in a child process at the same time, on the other core.

    With ``workdir``, the first input of each distinct crash is kept in ``workdir/crashes`` to reproduce it."""
    share = seconds / len(TARGETS)
    results: list[FuzzResult] = []
    atheris_results: list[FuzzResult] = []
    with _workdir(workdir) as work:
        for target in TARGETS:
            child = _start_atheris(target, share, seed, work) if atheris_available() else None
            inputs = inputs_for(target)
            results.append(fuzz_with_hypothesis(target, DECODERS[target], inputs, share, seed, work / CRASH_DIR))
            if child is not None:
                atheris_results.append(_finish_atheris(child))
    return results + atheris_results
