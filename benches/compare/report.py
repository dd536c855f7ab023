#!/usr/bin/env python3
"""Writes benches/compare/results.md from what run.sh measured (not a test: nothing asserted).

    python3 report.py OUT_DIR results.md "COMMAND"

OUT_DIR holds: native-latency.jsonl (one `probe latency` line per workload × engine),
node.json (bench.mjs), machine.json; criterion's estimates are read from
target/criterion/<workload>/<engine>/new/estimates.json.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = ["small-table", "table-1k", "table-10k", "expressions", "graph"]


def load_cases(name):
    with open(os.path.join(HERE, "workloads", name, "cases.json")) as f:
        return json.load(f)


def criterion(name, engine):
    """Median ns per evaluation from criterion (one iteration evaluates every case once)."""
    path = os.path.join(HERE, "target", "criterion", name, engine, "new", "estimates.json")
    try:
        with open(path) as f:
            est = json.load(f)
    except OSError:
        return None
    return est["median"]["point_estimate"] / len(load_cases(name)["cases"])


def fmt_rate(per_s):
    if per_s is None:
        return "—"
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f} M"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.1f} k"
    return f"{per_s:.0f}"


def fmt_ns(ns):
    if ns is None:
        return "—"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def fmt_mib(kib):
    return "—" if kib is None else f"{kib / 1024:.0f} MiB"


def ratio(cpm, other):
    if not cpm or not other:
        return "—"
    r = cpm / other
    return f"**{r:.1f}×**" if r >= 1 else f"**{r:.2f}×** (cpm slower)"


def main():
    out_dir, target, command = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(os.path.join(out_dir, "machine.json")) as f:
        machine = json.load(f)
    native = {}
    with open(os.path.join(out_dir, "native-latency.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                native[(r["workload"], r["engine"])] = r
    with open(os.path.join(out_dir, "node.json")) as f:
        node = json.load(f)
    node_res = {(r["workload"], r["engine"]): r for r in node["results"]}
    na = {(r["workload"], r["engine"]): r["reason"] for r in node["notExpressible"]}

    lines = []
    w = lines.append
    w("# cpm against GoRules ZEN, json-rules-engine and json-logic")
    w("")
    w("Written by `benches/compare/run.sh` (see [README.md](README.md) for what is measured and")
    w("the caveats). Same decisions, written in each engine's own format")
    w("(`workloads/<name>/`); every engine's answers on the benchmark inputs were checked equal to")
    w("`cases.json` before anything was timed. **ratio** = cpm's evaluations/s ÷ the other")
    w("engine's (above 1: cpm is faster).")
    w("")
    w("## Machine and versions")
    w("")
    w(f"- CPU: {machine['cpu']}, {machine['cores']} cores (shared with other builds while measured), {machine['memory']}")
    w(f"- OS: {machine['os']}")
    w(f"- {machine['rustc']}; {machine['node']}")
    w(f"- cpm: commit `{machine['commit']}` (cpm-core native, release profile; `@cpm/engine` wasm from `js/`, wasm-release + wasm-opt -Oz)")
    w(f"- zen-engine (crate) {machine['zen_crate']}; " + ", ".join(
        f"{k} {v}" for k, v in node["versions"].items() if k not in ("node", "@cpm/engine")))
    w(f"- command: `{command}`")
    w("")
    w("## Native (Rust): cpm-core against zen-engine")
    w("")
    w("evals/s: criterion median (1 s warm-up, 3 s measurement). p50/p99: single evaluations timed")
    w(f"one by one (`probe latency`, up to {machine['native_evaluations']} evaluations or 5 s). Peak RSS: a")
    w("process that loaded only that engine and workload. Input and output are `serde_json::Value`")
    w("for both engines (conversion included); cpm without explanation, ZEN without trace.")
    w("")
    w("| workload | engine | evals/s | p50 | p99 | peak RSS | ratio cpm/zen |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    headline = []
    for name in WORKLOADS:
        engines = ["cpm", "cpm-scan", "zen"] if name.startswith("table-") else ["cpm", "zen"]
        cpm_ns = criterion(name, "cpm")
        for e in engines:
            ns = criterion(name, e)
            lat = native.get((name, e), {})
            rate = 1e9 / ns if ns else None
            rt = ""
            if e == "zen":
                rt = ratio(1e9 / cpm_ns if cpm_ns else None, rate)
                headline.append(("native", name, "zen", rt))
            w(f"| {name} | {e} | {fmt_rate(rate)} | {fmt_ns(lat.get('p50Ns'))} | {fmt_ns(lat.get('p99Ns'))} | {fmt_mib(lat.get('peakRssKib'))} | {rt} |")
    w("")
    w("### cpm scan against cpm indexed (large tables)")
    w("")
    w("| workload | cpm indexed | cpm scan (`LazyIndex::scan_only`) | index speed-up |")
    w("| --- | ---: | ---: | ---: |")
    for name in ("table-1k", "table-10k"):
        a, b = criterion(name, "cpm"), criterion(name, "cpm-scan")
        sp = f"{b / a:.0f}×" if a and b else "—"
        w(f"| {name} | {fmt_rate(1e9 / a if a else None)}/s ({fmt_ns(a)}) | {fmt_rate(1e9 / b if b else None)}/s ({fmt_ns(b)}) | {sp} |")
    w("")
    w("## Node: cpm's wasm package against the JS engines")
    w("")
    w(f"Node {node['versions']['node']}. Each workload × engine in its own child process: warm-up, then up to")
    w(f"{node['evaluations']} single evaluations (at most 5 s) timed with `process.hrtime` for p50/p99; evals/s is")
    w("the median rate of batches of ~1 ms (up to 200 batches), which a preemption on this shared machine")
    w("moves less than a plain loop rate; peak RSS = `process.resourceUsage().maxRSS` of that child")
    w(f"(Node alone: {fmt_mib(node['nodeBaselineRssKib'])}). cpm: `engine.decide(name, object, {{explain: false}})`;")
    w("ZEN and json-rules-engine are awaited per evaluation (their API is async).")
    w("")
    w("| workload | engine | evals/s | p50 | p99 | peak RSS | ratio cpm/engine |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name in WORKLOADS:
        cpm = node_res.get((name, "cpm"), {}).get("evalsPerSec")
        for e in ["cpm", "zen", "json-rules-engine", "json-logic"]:
            if (name, e) in na:
                w(f"| {name} | {e} | n/a | | | | n/a: {na[(name, e)]} |")
                continue
            r = node_res.get((name, e), {})
            rt = ""
            if e != "cpm":
                rt = ratio(cpm, r.get("evalsPerSec"))
                headline.append(("node", name, e, rt))
            w(f"| {name} | {e} | {fmt_rate(r.get('evalsPerSec'))} | {fmt_ns(r.get('p50Ns'))} | {fmt_ns(r.get('p99Ns'))} | {fmt_mib(r.get('peakRssKib'))} | {rt} |")
    w("")
    w("## The JS↔wasm boundary")
    w("")
    w("The same cpm evaluation through the package's two entry points: `decide` (a JS object in and")
    w("out; plain JSON data crosses as one string, the answer as canonical text parsed into an object)")
    w("and `decideJson` (JSON text in and out). \"string\" passes text")
    w("that is already JSON and keeps the answer as text; \"round trip\" is object in, object out via")
    w("`JSON.stringify` → `decideJson` → `JSON.parse`, i.e. what a caller holding objects pays.")
    w("")
    w("| workload | decide (object) | decideJson (string) | decideJson round trip |")
    w("| --- | ---: | ---: | ---: |")
    bnd = {(r["workload"], r["engine"]): r for r in node["boundary"]}
    for name in ("small-table", "expressions"):
        cells = []
        for key, src in (("cpm", node_res), ("cpm-json-string", bnd), ("cpm-json-roundtrip", bnd)):
            r = src.get((name, key), {})
            cells.append(f"{fmt_rate(r.get('evalsPerSec'))}/s, p50 {fmt_ns(r.get('p50Ns'))}")
        w(f"| {name} | " + " | ".join(cells) + " |")
    w("")
    with open(target, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out_dir, "headline.json"), "w") as f:
        json.dump(headline, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
