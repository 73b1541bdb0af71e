"""The conformance report as one self-contained HTML page (the JSON form is ``Report.to_dict()``)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from swsim.conformance.contract import CHECKS
from swsim.conformance.runner import Report

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1em;margin:1.2em 0 .3em}
.pass{color:#176f2c}.fail{color:#b00020}.badge{font-weight:bold}
table{border-collapse:collapse;width:100%;margin:.3em 0}td,th{border:1px solid #ddd;padding:4px 6px;
vertical-align:top;text-align:left}th{background:#f4f4f4}
details pre{white-space:pre-wrap;word-break:break-all;background:#f8f8f8;padding:.5em;max-height:30em;overflow:auto}
.note{color:#555}
"""


def _mark(ok: bool) -> str:
    return '<span class="badge pass">PASS</span>' if ok else '<span class="badge fail">FAIL</span>'


def _body(label: str, text: str | None) -> str:
    if not text:
        return ""
    return f"<details><summary>{escape(label)}</summary><pre>{escape(text)}</pre></details>"


def to_html(report: Report) -> str:
    d = report.to_dict()
    n = d["counts"]
    when = datetime.fromtimestamp(report.started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    out = [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        f"<title>swsim conformance: {escape(report.role)}</title><style>{_STYLE}</style>",
        f"<h1>Conformance report: {escape(report.role)} ({escape(d['role_title'])}) {_mark(report.ok)}</h1>",
        f"<p>Node under test: party <b>{escape(report.party)}</b> on Kafka {escape(report.bootstrap)}; run {when}, "
        f"{report.seconds:.1f} s; time limits x{report.time_scale:g}.</p>",
        f"<p>{n['scenarios']} scenarios, {n['steps']} steps, {n['checks']} checks: "
        f"<span class=pass>{n['passed']} passed</span>, <span class=fail>{n['failed']} failed</span>"
        + (f", {n['aborted']} scenario(s) stopped early" if n["aborted"] else "")
        + ".</p>",
        *(f"<p class=fail>{escape(w)}.</p>" for w in report.warnings),
        "<p class=note>Simulated: the gateway and every other party are swsim's simulation; the rules checked are "
        "swsim's model of the exchange (docs/conformance.md), not a published government specification.</p>",
    ]
    for s in report.scenarios:
        out.append(f"<h2>{escape(s.name)}: {escape(s.title)} {_mark(s.ok)}</h2>")
        if s.aborted:
            out.append(f"<p class=fail>Stopped early: {escape(s.aborted)}</p>")
        for i, st in enumerate(s.steps, 1):
            rule = f" (rule <code>{escape(st.rule)}</code>)" if st.rule else ""
            out.append(f"<h3>{i}. {escape(st.title)}{rule} {_mark(st.ok)}</h3>")
            out.append(f"<div class=note>Sent: {escape(st.stimulus)}</div>")
            out.append(_body("the message the kit sent", st.stimulus_body))
            if not st.checks:
                out.append("<p class=note>The rule asks for no reply.</p>")
                continue
            out.append("<table><tr><th>check</th><th>reply</th><th>result</th><th>expected</th><th>received</th></tr>")
            for c in st.checks:
                title = escape(CHECKS.get(c.code, ""))
                out.append(
                    f"<tr><td title='{title}'><code>{escape(c.code)}</code></td><td>{escape(c.reply)}</td>"
                    f"<td>{_mark(c.ok)}</td><td>{escape(c.expected)}</td><td>{escape(c.received)}"
                    f"{_body('the message', c.message)}</td></tr>"
                )
            out.append("</table>")
    out.append("<h2>Checks</h2><table>")
    out.extend(f"<tr><td><code>{escape(k)}</code></td><td>{escape(v)}</td></tr>" for k, v in CHECKS.items())
    out.append("</table></html>")
    return "\n".join(out)
