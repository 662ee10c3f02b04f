#!/usr/bin/env python3
"""Turns the serial logs of `make bench`'s boots into results: a CSV, Markdown tables (also
printed) and the data files scripts/bench-plot.gp draws.

The guest prints every sample on a `BENCH,section,case,param,unit,count,v;v;...` line;
samples of the same (section, case, param) from several boots are pooled before the median,
quartiles and extremes are taken. Kernel messages share the console: one may follow the
samples on the same line (it is cut off), and a line whose sample count does not match (a
message broke into it) is dropped and counted.

The boots with and without rustlsm also come in pairs (--pair, one round each, run back to
back): the ratio of their medians is taken per round, so that a change in the shared
machine's load between rounds cancels out, and the rounds' ratios are summarized.
"""

import argparse
import csv
import re
import statistics
import sys
from collections import OrderedDict

SAMPLES = re.compile(r"[0-9]+(\.[0-9]+)?(;[0-9]+(\.[0-9]+)?)*")
WORKLOAD_ORDER = ["open+stat+close depth 2", "open+stat+close depth 8",
                  "open+stat+close depth 32", "socket+connect (refused)"]


def parse_logs(paths):
    samples = OrderedDict()   # (section, case, param) -> (unit, [values])
    failures = OrderedDict()  # (section, case, param) -> reason
    info = {}
    broken = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                line = raw.strip("\r\n").replace("\r", "")
                if line.startswith("BENCH,"):
                    fields = line.split(",", 6)
                    try:
                        _, section, case, param, unit, count, values = fields
                        values = SAMPLES.match(values).group(0)
                        vals = [float(v) for v in values.split(";")]
                        if len(vals) != int(count):
                            raise ValueError
                    except (ValueError, AttributeError):
                        broken += 1
                        continue
                    key = (section, case, param)
                    samples.setdefault(key, (unit, []))[1].extend(vals)
                elif line.startswith("BENCH-FAIL,"):
                    fields = line.split(",", 5)
                    if len(fields) == 6:
                        failures.setdefault((fields[1], fields[2], fields[3]), fields[5])
                elif line.startswith("BENCH-INFO,"):
                    fields = line.split(",", 2)
                    if len(fields) == 3:
                        info.setdefault(fields[1], set()).add(fields[2])
    return samples, failures, info, broken


def boot_medians(path, section):
    """{param: median} of one boot's `section` rows."""
    samples, _, _, _ = parse_logs([path])
    return {param: statistics.median(vals)
            for (sec, _, param), (_, vals) in samples.items() if sec == section}


def paired_ratios(pairs):
    """{param: [with/without ratio per round]} for the unconfined loops."""
    ratios = OrderedDict()
    for without, with_ in pairs:
        a, b = boot_medians(without, "unconfined"), boot_medians(with_, "unconfined")
        for param in a:
            if param in b and a[param] > 0:
                ratios.setdefault(param, []).append(b[param] / a[param])
    return ratios


def summarize(values):
    v = sorted(values)
    q = statistics.quantiles(v, n=4, method="inclusive") if len(v) > 1 else [v[0]] * 3
    return {"median": statistics.median(v), "min": v[0], "p25": q[0], "p75": q[2],
            "max": v[-1], "runs": len(v)}


def fmt(x):
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}"


def cell(stats):
    if stats is None:
        return "-"
    if "error" in stats:
        return "failed*"
    return f"{fmt(stats['median'])} [{fmt(stats['min'])}..{fmt(stats['max'])}]"


def ordered(values, order):
    known = [v for v in order if v in values]
    return known + [v for v in values if v not in order]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accel", required=True)
    ap.add_argument("--mode", choices=["icount", "tsc"], default="tsc")
    ap.add_argument("--boots", required=True)
    ap.add_argument("--apparmor", default="unknown")
    ap.add_argument("--host", default="")
    ap.add_argument("--minutes", default="?")
    ap.add_argument("--csv", required=True)
    ap.add_argument("--markdown", required=True)
    ap.add_argument("--plot-dir", required=True)
    ap.add_argument("--pair", nargs=2, action="append", default=[],
                    metavar=("WITHOUT_LOG", "WITH_LOG"),
                    help="one round of the unconfined boots, without and with rustlsm")
    ap.add_argument("logs", nargs="*")
    args = ap.parse_args()

    all_logs = args.logs + [log for pair in args.pair for log in pair]
    samples, failures, info, broken = parse_logs(all_logs)
    results = OrderedDict()
    for key, (unit, vals) in samples.items():
        results[key] = dict(summarize(vals), unit=unit)
    for key, reason in failures.items():
        results.setdefault(key, {"error": reason, "unit": ""})
    for param, ratios in paired_ratios(args.pair).items():
        results[("unconfined-ratio", "with / without rustlsm, per round", param)] = dict(
            summarize(ratios), unit="ratio")

    kernel = ", ".join(sorted(info.get("kernel", {"unknown"})))
    with open(args.csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["section", "case", "param", "unit", "median", "min", "p25", "p75", "max",
                    "runs", "kernel", "accel", "error"])
        for (section, case, param), r in results.items():
            if "error" in r:
                w.writerow([section, case, param, r["unit"], "", "", "", "", "", 0, kernel,
                            args.accel, r["error"]])
            else:
                digits = 3 if r["unit"] == "ratio" else 1
                w.writerow([section, case, param, r["unit"]]
                           + [f"{r[k]:.{digits}f}" for k in ("median", "min", "p25", "p75", "max")]
                           + [r["runs"], kernel, args.accel, ""])

    md = markdown(results, info, broken, kernel, args)
    with open(args.markdown, "w", encoding="utf-8") as f:
        f.write(md)
    sys.stdout.write(md)
    plot_data(results, args.plot_dir)


def section_grid(results, section):
    """(cases in order, params in order, {(case, param): stats}) of one section."""
    grid = OrderedDict()
    cases, params = [], []
    for (sec, case, param), r in results.items():
        if sec != section:
            continue
        grid[(case, param)] = r
        if case not in cases:
            cases.append(case)
        if param not in params:
            params.append(param)
    return cases, params, grid


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def ratio_cell(stats):
    if stats is None:
        return "-"
    return f"{stats['median']:.2f} [{stats['min']:.2f}..{stats['max']:.2f}]"


def ratio(a, b):
    if a is None or b is None or "error" in a or "error" in b or b["median"] == 0:
        return "-"
    return f"{a['median'] / b['median']:.2f}"


def markdown(results, info, broken, kernel, args):
    runs = ", ".join(sorted(info.get("runs", {"?"})))
    load_runs = ", ".join(sorted(info.get("load_runs", {"?"})))
    fs_iters = ", ".join(sorted(info.get("fs_iters", {"?"})))
    net_iters = ", ".join(sorted(info.get("net_iters", {"?"})))
    tsc = ", ".join(sorted(info.get("tsc_mhz", {"?"})))
    tsc_source = ", ".join(sorted(info.get("tsc_source", {"?"})))
    guest_mhz = sorted(float(v) for v in info.get("guest_clock_mhz", set()))
    guest_range = f"{guest_mhz[0]:.0f}-{guest_mhz[-1]:.0f}" if guest_mhz else "?"
    resolution = ", ".join(sorted(info.get("clock_resolution_ns", {"?"})))
    if args.mode == "icount":
        timing = ("Mode: **icount**. QEMU ran with `-icount shift=0,sleep=off` on one vCPU: "
                  "guest time advances one nanosecond per instruction executed, so every "
                  "figure below is an **instruction count** (ns = instructions, "
                  "µs = thousands of instructions), exact and the same on every run. "
                  "Instruction counts do not see cache misses; `BENCH_MODE=tsc make bench` "
                  "measures cycles instead.\n")
    else:
        timing = (f"Mode: **tsc**. Timing: TSC ticks at {tsc} MHz ({tsc_source}); the "
                  f"guest's CLOCK_MONOTONIC (resolution {resolution} ns) puts that rate at "
                  f"{guest_range} MHz. Medians with [min..max] over all runs. Timings on an "
                  "emulated, shared machine are noisy: compare ratios, not absolute times.\n")
    out = ["# rustlsm, AppArmor and Landlock: benchmark results\n",
           f"Kernel {kernel}, QEMU accelerator **{args.accel.upper()}**, {args.boots} boots, "
           f"{args.minutes} minutes. Loops: {runs} runs per boot (pooled over boots), "
           f"{fs_iters} file / {net_iters} connect iterations per run. Loads: {load_runs} "
           f"runs (end to end: at least 3, fewer once a case has taken 120 s). "
           f"AppArmor parser: Debian {args.apparmor}. Host: {args.host}.\n",
           timing]
    if broken:
        out.append(f"{broken} result line(s) broken on the console were dropped.\n")
    notes = OrderedDict()

    def note_errors(grid):
        for (case, param), r in grid.items():
            if "error" in r:
                notes.setdefault(f"{case}: {r['error']}", None)

    cases, params, grid = section_grid(results, "load")
    if cases:
        out.append("## Policy load (µs)\n")
        out.append("Kernel = one `lsm_manage_policy()` call or one securityfs `write()` of a "
                   "policy compiled beforehand; end to end = the command, from spawn to exit.\n")
        out.append(table(["loader"] + [f"{p} rules" for p in params],
                         [[c] + [cell(grid.get((c, p))) for p in params] for c in cases]))
        note_errors(grid)

    cases, params, grid = section_grid(results, "confined")
    if cases:
        params = ordered(params, WORKLOAD_ORDER)
        out.append("## Confined tasks (ns per iteration)\n")
        out.append(table(["confinement"] + params,
                         [[c] + [cell(grid.get((c, p))) for p in params] for c in cases]))
        base = "unconfined"
        out.append("Relative to unconfined (median / unconfined median, same boot):\n")
        out.append(table(["confinement"] + params,
                         [[c] + [ratio(grid.get((c, p)), grid.get((base, p))) for p in params]
                          for c in cases if c != base]))
        note_errors(grid)

    cases, params, grid = section_grid(results, "unconfined")
    if cases:
        params = ordered(params, WORKLOAD_ORDER)
        cases = sorted(cases, key=lambda c: not c.startswith("without"))
        out.append("## Unconfined tasks, kernel booted with and without rustlsm (ns per "
                   "iteration)\n")
        out.append("Rows one and two pool every boot's runs; the last row is the ratio of the "
                   "medians of two boots run back to back, summarized over the rounds.\n")
        rows = [[c] + [cell(grid.get((c, p))) for p in params] for c in cases]
        _, _, paired = section_grid(results, "unconfined-ratio")
        if paired:
            rounds = max(r["runs"] for r in paired.values())
            rows.append([f"with / without, per round ({rounds} rounds)"]
                        + [ratio_cell(paired.get(("with / without rustlsm, per round", p)))
                           for p in params])
        out.append(table(["kernel"] + params, rows))
        note_errors(grid)

    cases, params, grid = section_grid(results, "exec")
    if cases:
        params = sorted(params, key=lambda p: not p.startswith("none"))
        out.append("## Exec of a program without a profile (ns per spawn)\n")
        out.append("`posix_spawn()+wait()` of a static program that exits at once, before and "
                   "after a thousand one-rule profiles are loaded (attached to binaries nobody "
                   "runs): what having profiles costs every exec on the system. rustlsm's in "
                   "the boot with rustlsm, AppArmor's in the boot without.\n")
        out.append(table(["profiles"] + params + ["loaded / none"],
                         [[c] + [cell(grid.get((c, p))) for p in params]
                          + [ratio(grid.get((c, params[-1])), grid.get((c, params[0])))]
                          for c in cases]))
        note_errors(grid)

    if notes:
        out.append("\\* Could not be measured:\n")
        out += [f"- {n}" for n in notes]
        out.append("")
    return "\n".join(out)


def plot_data(results, plot_dir):
    """Data files and titles for bench-plot.gp; `?` marks a value that is missing."""
    def triple(r, scale):
        if r is None or "error" in r:
            return "? ? ?"
        return " ".join(f"{r[k] * scale:.4g}" for k in ("median", "min", "max"))

    lines = []
    for name, scale in (("load", 1e-3), ("confined", 1e-3), ("unconfined", 1e-3)):
        cases, params, grid = section_grid(results, name)
        if name != "load":
            params = ordered(params, WORKLOAD_ORDER)
        with open(f"{plot_dir}/{name}.dat", "w", encoding="utf-8") as f:
            for p in params:
                label = p if name == "load" else '"' + p.replace("open+stat+close ", "") + '"'
                f.write(label + " " + " ".join(triple(grid.get((c, p)), scale) for c in cases)
                        + "\n")
        lines.append(f"array {name}_title[{max(len(cases), 1)}]")
        lines += [f'{name}_title[{i + 1}] = "{c}"' for i, c in enumerate(cases)]
        lines.append(f"{name}_n = {len(cases)}")
    with open(f"{plot_dir}/titles.gp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
