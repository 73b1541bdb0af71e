"""The load-test report: one self-contained HTML file (plots as inline SVG, no scripts or network) and the JSON
summary it is built from, written side by side."""

from __future__ import annotations

import html
import io
import json
import math
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from simulators.load import LoadResult, pace

SPECTRUM = [100 * (1 - 10 ** (-k / 8)) for k in range(33)]
"""Percentiles for the distribution plot: 0, 25, 44, ... 99.99 (evenly spaced on a log(1/(1-p)) axis)."""

Spectra = dict[str, list[tuple[float, float]]]
Series = dict[str, list[float]]
"""Per series name, (percentile, latency ms) points."""
_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.bad{color:#b00;font-weight:bold}
.note{color:#666;font-size:90%}figure{margin:1.5em 0}"""


def ms(v: float | None) -> str:
    """How the report shows a latency (the JSON keeps three decimals); "n/a" where nothing was measured."""
    return "n/a" if v is None else f"{v:.1f}"


def write(result: LoadResult, path: Path) -> tuple[Path, Path]:
    """Write ``path`` (HTML) and ``path`` with suffix .json (the summary plus the per-second series)."""
    summary = result.summary()
    series = result.tally.series()
    json_path = path.with_suffix(".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({**summary, "series": series}, indent=1) + "\n", encoding="utf-8")
    path.write_text(render(summary, series, _spectra(result)), encoding="utf-8")
    return path, json_path


def _spectra(result: LoadResult) -> Spectra:
    """(percentile, ms) points: every message, and the five most-sent message types."""
    t = result.tally
    out = {"all messages": _points(t.latency)}
    top = sorted(t.by_type, key=lambda mt: -t.by_type[mt].get_total_count())[:5]
    for mt in top:
        out[mt] = _points(t.by_type[mt])
    return out


def _points(h: HdrHistogram) -> list[tuple[float, float]]:
    if h.get_total_count() == 0:
        return []
    return [(p, h.get_value_at_percentile(p) / 1000) for p in SPECTRUM]


def _traffic(s: dict[str, Any]) -> str:
    """Where the run's traffic came from, as the report's first sentence."""
    if not _replayed(s):
        return f"Simulated parties and synthetic traffic (swsim traffic generator, seed {s['seed']})."
    how = "flat out (each latency from the actual send)" if _flat_out(s) else pace(s["speed"])
    notes = [
        (s["untracked"], "recorded bodies that hold no message were sent unchanged and not timed"),
        (s["duplicates"], "re-sends of a message id already sent were sent again, timed from the first send only"),
        (s["skipped"], "records not on an ingress topic were not sent"),
    ]
    extra = "".join(f" {n} {what}." for n, what in notes if n)
    return (f"Simulated parties; traffic replayed from the recording {html.escape(s['recording'])}, {how}, re-signed, "
            f"with message ids rewritten (tag {html.escape(s['tag'])}).{extra}")  # fmt: skip


def _replayed(s: dict[str, Any]) -> bool:
    return s.get("traffic") == "recording"


def _flat_out(s: dict[str, Any]) -> bool:
    return _replayed(s) and s["speed"] is None


def _timing(s: dict[str, Any]) -> str:
    """How the sends were paced and what the latencies are measured from."""
    if _flat_out(s):
        return """messages were sent as fast as possible and never waited for replies. With no schedule, latency runs
from each message's actual send to its arrival in the receiver's inbox topic (receipts: in the sender's inbox), so a
sender that stalls shows as lower throughput, not as latency; recorded in HdrHistograms."""
    return """messages were sent on a fixed schedule and never waited for replies. Latency runs from each message's
<em>intended</em> send time to its arrival in the receiver's inbox topic (receipts: in the sender's inbox), so a late
sender cannot hide delays (no coordinated omission); recorded in HdrHistograms."""


def _or_na(figure: float | None) -> str:
    return "n/a (fewer than two sent)" if figure is None else str(figure)


def _title(s: dict[str, Any]) -> str:
    if _replayed(s):
        return f"replay of {html.escape(s['recording'])}"
    return f"{s['rate']} msg/s for {s['duration_s']} s"


def render(summary: dict[str, Any], series: dict[str, list[float | None]], spectra: Spectra) -> str:
    s = summary
    e = html.escape
    lost_cls = ' class="bad"' if s["lost"] else ""
    counts = "".join(
        f"<tr><td>{name}</td><td{lost_cls if name == 'lost' else ''}>{s[name]}</td></tr>"
        for name in ("sent", "delivered", "receipted", "rejected", "lost")
    )
    lat_rows = [
        _lat_row("delivery, all types", s["sent"], s["delivered"], s["latency_ms"]),
        _lat_row("receipt (MT9999), all types", s["sent"], s["receipted"], s["receipt_latency_ms"]),
    ]
    lat_rows += [_lat_row(mt, f["sent"], f["delivered"], f["latency_ms"]) for mt, f in s["by_type"].items()]
    te = s["timing_error_ms"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>swsim load report: {_title(s)}</title><style>{_CSS}</style></head><body>
<h1>swsim load report</h1>
<p class="note">{_traffic(s)} Open model: {_timing(s)}</p>
<table><tr><th>run</th><th></th></tr>
<tr><td>started (UTC)</td><td>{e(s["started_at"])}</td></tr>
<tr><td>Kafka bootstrap</td><td>{e(s["bootstrap"])}</td></tr>
<tr><td>rate (msg/s)</td><td>{_or_na(s["rate"])}</td></tr>
<tr><td>duration (s)</td><td>{_or_na(s["duration_s"])}</td></tr>
<tr><td>achieved send rate (msg/s)</td><td>{_or_na(s["send_rate"])}</td></tr>
<tr><td>send-time error p50 / p99 / max (ms)</td><td>{ms(te["p50"])} / {ms(te["p99"])} / {ms(te["max"])}</td></tr>
<tr><td>producer client</td><td>{e(s["producer"])}</td></tr><tr><td>message-id run tag</td><td>{e(s["tag"])}</td></tr>
</table>
<h2>Counts</h2><table><tr><th>messages</th><th>count</th></tr>{counts}</table>
<p class="note">delivered: seen in a receiver's inbox; receipted: the gateway's delivery receipt seen; rejected: a
rejection receipt seen; lost: neither delivered nor rejected by the end of the drain ({s["drained_s"]} s).</p>
<h2>End-to-end latency (ms)</h2>
<table><tr><th>what</th><th>sent</th><th>arrived</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
{"".join(lat_rows)}</table>
<figure>{_throughput_svg(series)}<figcaption>Throughput: messages sent and delivered per second.</figcaption></figure>
<figure>{_latency_svg(series)}<figcaption>Delivery latency p50 and p99 of the messages intended in each second.
</figcaption></figure>
<figure>{_spectrum_svg(spectra)}<figcaption>Latency distribution (percentile spectrum), all messages and the most
frequent types.</figcaption></figure>
<h2>JSON summary</h2><p class="note">Also written next to this file as JSON, with the per-second series.</p>
<script type="application/json" id="swsim-summary">{_script_json(summary)}</script>
<pre>{e(json.dumps(summary, indent=1))}</pre>
</body></html>
"""


def _script_json(summary: dict[str, Any]) -> str:
    return json.dumps(summary).replace("</", "<\\/")


def _lat_row(name: str, sent: int, arrived: int, lat: dict[str, float | None]) -> str:
    cells = "".join(f"<td>{ms(lat[k])}</td>" for k in ("p50", "p90", "p99", "p999", "max"))
    return f"<tr><td>{html.escape(name)}</td><td>{sent}</td><td>{arrived}</td>{cells}</tr>"


def _figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.grid(True, alpha=0.3)
    return fig, ax


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # inline: without the XML declaration and doctype


def _over_time_svg(
    series: dict[str, list[float | None]], lines: dict[str, str], xlabel: str, ylabel: str, **style: Any
) -> str:
    """One plot over the run's seconds: ``lines`` maps a series key to its legend label."""
    fig, ax = _figure()
    for key, label in lines.items():  # a second with no measurement (None) is a gap in the line
        ax.plot(series["t_s"], [math.nan if v is None else v for v in series[key]], label=label, **style)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return _svg(fig)


def _throughput_svg(series: dict[str, list[float | None]]) -> str:
    return _over_time_svg(series, {"sent": "sent/s", "delivered": "delivered/s"}, "seconds into the run",
                          "messages per second", drawstyle="steps-post")  # fmt: skip


def _latency_svg(series: dict[str, list[float | None]]) -> str:
    return _over_time_svg(series, {"p50_ms": "p50", "p99_ms": "p99"}, "seconds into the run (by intended send time)",
                          "latency (ms)", marker=".")  # fmt: skip


def _spectrum_svg(spectra: Spectra) -> str:
    fig, ax = _figure()
    for name, points in spectra.items():
        if points:
            xs = [1 / (1 - p / 100) for p, _ in points]
            ax.plot(xs, [v for _, v in points], label=name, linewidth=2.5 if name == "all messages" else 1)
    ax.set_xscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000]
    ax.set_xticks(ticks, ["0%", "50%", "90%", "99%", "99.9%", "99.99%"])
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (ms)")
    if any(spectra.values()):
        ax.legend(fontsize="small")
    else:  # nothing delivered: an empty plot that says so, rather than a legend of nothing
        ax.text(0.5, 0.5, "nothing delivered", transform=ax.transAxes, ha="center", va="center")
    return _svg(fig)
