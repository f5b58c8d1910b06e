#!/usr/bin/env python3
"""mailidx against notmuch, mu and mairix on the same mail and machine.

A benchmark, not a test. One command from a clean checkout:

    python3 benches/compare.py            # 38k corpus, all four tools; 200k, mailidx and mairix
    python3 benches/compare.py --quick    # 38k only, 3 search repeats

It prepares the corpora (once, under --work, default ~/.cache/mailidx-bench):
the freedreno archive from ../shared (38,637 messages) as an mbox and as a
Maildir, and a larger one made by replicating it with rewritten Message-IDs
(6 copies, 231,822 messages, also both forms). It installs notmuch,
maildir-utils (mu) and mairix from the system's packages when missing, and
builds mailidx. For each tool it times a first full index of the Maildir
(mailidx also of the mbox) under /usr/bin/time -v: wall time, messages/s,
MB/s, CPU time (user+sys, and per message), peak RSS and the database's
size on disk, and mailidx's speed and CPU per message against mairix's; then a no-change re-index;
then a set of searches (a rare word, a common word, a From: query, a date
range, a phrase), the median of repeated runs with each tool's hit count
side by side. It also runs mailidx's mbox ingest pinned to 1, 2, … cores (taskset).

`--rounds N` runs every first index N times, tool after tool and round
after round, and reports the median and the range: on a shared machine one
run of each can differ by 20% from the next.

`--baseline BIN` also measures another mailidx binary (an earlier build,
say `git worktree add ../before REV` built there) as `mailidx-baseline`,
side by side in the same run; `--binary BIN` measures a given binary instead
of building this checkout.

Results: benches/results/compare.md (tables) and compare.csv (one row per
measurement), overwritten by each run.
"""
import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FREEDRENO = SHARED / "corpora/lists-freedreno/freedreno.mbox.zst"

# name -> per-tool query text (None: the tool cannot express it)
QUERIES = {
    "rare word (hysteresis)": {"mailidx": "hysteresis", "notmuch": "hysteresis", "mu": "hysteresis", "mairix": "hysteresis"},
    "common word (freedreno)": {"mailidx": "freedreno", "notmuch": "freedreno", "mu": "freedreno", "mairix": "freedreno"},
    "from: (robdclark)": {"mailidx": "from:robdclark", "notmuch": "from:robdclark", "mu": "from:robdclark", "mairix": "f:robdclark"},
    "date range (2023-01-01..2023-06-30)": {
        "mailidx": "date:2023-01-01..2023-06-30",
        "notmuch": "date:2023-01-01..2023-06-30",
        "mu": "date:20230101..20230630",
        "mairix": "d:20230101-20230630",
    },
    "phrase (\"power collapse\")": {
        "mailidx": '"power collapse"',
        "notmuch": '"power collapse"',
        "mu": '"power collapse"',
        "mairix": None,
    },
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_tools():
    missing = [pkg for tool, pkg in [("notmuch", "notmuch"), ("mu", "maildir-utils"), ("mairix", "mairix"), ("zstd", "zstd")] if not shutil.which(tool)]
    if missing:
        log("installing", missing)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def build():
    env = {**os.environ, "CARGO_TARGET_DIR": os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/mailidx-target"))}
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True, env=env)
    return Path(env["CARGO_TARGET_DIR"]) / "release/mailidx"


def split_mbox(path):
    """Messages of an mboxrd file, `>From` quoting undone."""
    data = path.read_bytes()
    starts = [m.start() for m in re.finditer(rb"^From ", data, re.M)]
    starts.append(len(data))
    for a, b in zip(starts, starts[1:]):
        msg = data[a:b]
        msg = msg[msg.index(b"\n") + 1:]
        yield re.sub(rb"(?m)^>(>*From )", rb"\1", msg)


def prepare(work, copies):
    """The mbox and Maildir forms of the 38k corpus and of `copies` replicas."""
    work.mkdir(parents=True, exist_ok=True)
    mbox38 = work / "freedreno.mbox"
    if not mbox38.exists():
        log("decompressing", FREEDRENO)
        subprocess.run(["zstd", "-dqf", str(FREEDRENO), "-o", str(mbox38)], check=True)
    out = {}
    for name, n in [("38k", 1), ("200k", copies)]:
        md = work / f"maildir-{name}"
        mb = work / f"mbox-{name}.mbox"
        done = work / f".done-{name}"
        if not done.exists():
            log("preparing", name)
            shutil.rmtree(md, ignore_errors=True)
            for sub in ("cur", "new", "tmp"):
                (md / "freedreno" / sub).mkdir(parents=True)
            count = 0
            with open(mb, "wb") as mbox_out:
                for copy in range(n):
                    for i, msg in enumerate(split_mbox(mbox38)):
                        if copy:
                            # A distinct message: a rewritten Message-ID (and key).
                            msg = re.sub(rb"(?im)^(message-id:\s*<)", b"\\1r%d-" % copy, msg, count=1)
                        (md / "freedreno/cur" / f"{copy:02d}{i:06d}.bench:2,").write_bytes(msg)
                        quoted = re.sub(rb"(?m)^(>*From )", rb">\1", msg)
                        mbox_out.write(b"From bench@localhost Thu Jan  1 00:00:00 1970\n" + quoted + b"\n")
                        count += 1
            (work / f"count-{name}").write_text(str(count))
            done.touch()
        out[name] = {
            "maildir": md,
            "mbox": mb,
            "messages": int((work / f"count-{name}").read_text()),
            "bytes": sum(f.stat().st_size for f in (md / "freedreno/cur").iterdir()),
        }
    return out


def timed(cmd, env=None):
    """Runs under /usr/bin/time -v: (wall s, peak RSS MB, stdout, stderr)."""
    t = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env={**os.environ, **(env or {})})
    if t.returncode not in (0, 1):
        raise RuntimeError(f"{cmd}: exit {t.returncode}: {t.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t.stderr)
    secs = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))) if wall else float("nan")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t.stderr).group(1)) / 1024
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", t.stderr).group(1)) for k in ("User", "System"))
    LAST_CPU[0] = cpu
    return secs, rss, t.stdout, t.stderr


# user+sys CPU seconds of the last timed() command
LAST_CPU = [float("nan")]


def warm(path):
    """Reads every file of a corpus once, so that each tool's first index
    starts with the mail in the page cache (the corpora here are larger than
    what stays cached between runs; a cold read measured the disk)."""
    path = Path(path)
    files = [path] if path.is_file() else (f for f in path.rglob("*") if f.is_file())
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass


def du(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


class Mailidx:
    def __init__(self, binary, work, tag, name="mailidx"):
        self.name = name
        self.bin, self.db = binary, work / f"db-{name}-{tag}"

    def index(self, path, env=None, cores=None):
        shutil.rmtree(self.db, ignore_errors=True)
        pin = ["taskset", "-c", f"0-{cores - 1}"] if cores else []
        return timed([*pin, str(self.bin), "--db", str(self.db), "ingest", "-q", str(path)], env)

    def reindex(self, path):
        return timed([str(self.bin), "--db", str(self.db), "ingest", "-q", str(path)])

    def size(self):
        return du(self.db / "index") + du(self.db / "store")

    def count(self, q):
        r = subprocess.run([str(self.bin), "--db", str(self.db), "search", "--count", q], capture_output=True, text=True)
        return int(r.stdout.strip()) if r.stdout.strip().isdigit() else None


class Notmuch:
    name = "notmuch"

    def __init__(self, work, tag):
        self.dir = work / f"db-notmuch-{tag}"
        self.cfg = self.dir / "config"

    def index(self, maildir):
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "db").mkdir(parents=True)
        self.cfg.write_text(f"[database]\npath={self.dir / 'db'}\nmail_root={maildir}\n[new]\ntags=inbox;\n[maildir]\nsynchronize_flags=false\n")
        return timed(["notmuch", f"--config={self.cfg}", "new", "--quiet"])

    def reindex(self, maildir):
        return timed(["notmuch", f"--config={self.cfg}", "new", "--quiet"])

    def size(self):
        return du(self.dir / "db")

    def count(self, q):
        r = subprocess.run(["notmuch", f"--config={self.cfg}", "count", q], capture_output=True, text=True)
        return int(r.stdout.strip()) if r.stdout.strip().isdigit() else None


class Mu:
    name = "mu"

    def __init__(self, work, tag):
        self.home = work / f"db-mu-{tag}"

    def index(self, maildir):
        shutil.rmtree(self.home, ignore_errors=True)
        subprocess.run(["mu", "init", f"--muhome={self.home}", f"--maildir={maildir}"], check=True, capture_output=True)
        return timed(["mu", "index", f"--muhome={self.home}", "--quiet"])

    def reindex(self, maildir):
        return timed(["mu", "index", f"--muhome={self.home}", "--quiet"])

    def size(self):
        return du(self.home)

    def count(self, q):
        r = subprocess.run(["mu", "find", f"--muhome={self.home}", "--fields=i", q], capture_output=True, text=True)
        return len([l for l in r.stdout.splitlines() if l.strip()]) if r.returncode in (0, 2, 4) else None


class Mairix:
    name = "mairix"

    def __init__(self, work, tag):
        self.dir = work / f"db-mairix-{tag}"
        self.rc = self.dir / "mairixrc"

    def index(self, maildir):
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.rc.write_text(f"base={maildir}\nmaildir=freedreno\nmfolder={self.dir / 'match'}\ndatabase={self.dir / 'mairix.db'}\n")
        return timed(["mairix", "-f", str(self.rc)])

    def reindex(self, maildir):
        return timed(["mairix", "-f", str(self.rc)])

    def size(self):
        return (self.dir / "mairix.db").stat().st_size / 1e6

    def count(self, q):
        r = subprocess.run(["mairix", "-f", str(self.rc), q], capture_output=True, text=True)
        m = re.search(r"Matched (\d+) messages", r.stdout + r.stderr)
        return int(m.group(1)) if m else None


def search_latency(tool, q, repeats):
    times, hits = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        hits = tool.count(q)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), hits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache/mailidx-bench")
    ap.add_argument("--quick", action="store_true", help="38k corpus only, 3 search repeats")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds of every first index (medians and ranges reported)")
    ap.add_argument("--copies", type=int, default=6, help="replicas in the large corpus (6: 231,822 messages)")
    ap.add_argument("--all-tools-large", action="store_true", help="also run notmuch and mu on the large corpus (hours)")
    ap.add_argument("--tools", default="mailidx,mairix,notmuch,mu", help="comma-separated tools to run; the others' rows are kept from the last compare.csv")
    ap.add_argument("--binary", type=Path, help="measure this mailidx binary instead of building the checkout")
    ap.add_argument("--baseline", type=Path, help="also measure this mailidx binary (an earlier build), as mailidx-baseline")
    a = ap.parse_args()
    a.tools = a.tools.split(",") + (["mailidx-baseline"] if a.baseline else [])
    repeats = 3 if a.quick else a.repeats
    ensure_tools()
    binary = a.binary or build()
    corpora = prepare(a.work, a.copies)
    rows, searches = [], []
    sizes = ["38k"] if a.quick else ["38k", "200k"]
    for tag in sizes:
        c = corpora[tag]
        mail_mb = c["bytes"] / 1e6
        tools = [Mailidx(binary, a.work, tag)]
        if a.baseline:
            tools.append(Mailidx(a.baseline, a.work, tag, name="mailidx-baseline"))
        tools.append(Mairix(a.work, tag))
        if tag == "38k" or a.all_tools_large:
            tools += [Notmuch(a.work, tag), Mu(a.work, tag)]
        tools = [t for t in tools if t.name in a.tools]
        # First indexes in interleaved rounds (tool after tool, round after
        # round), so that the machine's drift falls on every tool alike; the
        # table gives the median and the range.
        inputs = {t.name: [("maildir", c["maildir"])] + ([("mbox", c["mbox"])] if t.name.startswith("mailidx") else []) for t in tools}
        runs = {}
        for rnd in range(a.rounds):
            for tool in tools:
                for form, path in inputs[tool.name]:
                    log(f"{tag} {tool.name} {form}: first index, round {rnd + 1} of {a.rounds}")
                    warm(path)
                    secs, rss, _, _ = tool.index(path)
                    runs.setdefault((tool.name, form), []).append((secs, rss, LAST_CPU[0]))
                    if rnd < a.rounds - 1:
                        continue
                    size = tool.size()
                    re_secs, _, _, _ = tool.reindex(path)
                    rows.append(index_row(tag, tool.name, form, c["messages"], mail_mb, runs[(tool.name, form)], size, re_secs))
                    log(rows[-1])
        for tool in tools:
            is_mailidx = tool.name.startswith("mailidx")
            if tag == "38k":
                for qname, per in QUERIES.items():
                    q = per.get("mailidx" if is_mailidx else tool.name)
                    if q is None:
                        searches.append({"query": qname, "tool": tool.name, "text": "", "hits": "n/a", "median_ms": ""})
                        continue
                    ms, hits = search_latency(tool, q, repeats)
                    searches.append({"query": qname, "tool": tool.name, "text": q, "hits": hits, "median_ms": round(ms, 1)})
                    log(searches[-1])
        if tag == "38k" and "mailidx" in a.tools:
            # Scaling: the same mbox ingest pinned to 1, 2, … cores (taskset),
            # with that many parser threads and one indexing thread per two.
            m = Mailidx(binary, a.work, "threads")
            for n in range(1, (os.cpu_count() or 2) + 1):
                warm(c["mbox"])
                env = {"RAYON_NUM_THREADS": str(n), "MAILIDX_INDEX_THREADS": str(max(1, n // 2))}
                secs, rss, _, _ = m.index(c["mbox"], env=env, cores=n)
                rows.append(index_row(tag, "mailidx", f"mbox on {n} core(s)", c["messages"], mail_mb, [(secs, rss, LAST_CPU[0])], m.size(), None))
                log(rows[-1])
    if set(a.tools) - {"mailidx-baseline"} != ALL_TOOLS:
        kept_rows, kept_searches = previous(set(a.tools))
        rows, searches = kept_rows + rows, kept_searches + searches
    write(rows, searches)


ALL_TOOLS = {"mailidx", "mairix", "notmuch", "mu"}


def index_row(tag, tool, form, messages, mail_mb, runs, size, re_secs):
    """One first-index row: medians over the runs (secs, rss, cpu), their
    range when there are several, peak RSS the largest seen; `re_secs` is
    None where no re-index was timed."""
    secs = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    spread = lambda i: f"{min(r[i] for r in runs):.1f}–{max(r[i] for r in runs):.1f}" if len(runs) > 1 else ""
    return {
        "corpus": tag, "tool": tool, "input": form, "messages": messages, "mail_mb": round(mail_mb, 1),
        "first_s": round(secs, 2), "messages_per_s": round(messages / secs), "mb_per_s": round(mail_mb / secs, 1),
        "peak_rss_mb": round(max(r[1] for r in runs)), "db_mb": round(size, 1), "db_pct_of_mail": round(100 * size / mail_mb, 1),
        "reindex_s": "" if re_secs is None else round(re_secs, 2), "cpu_s": round(cpu, 2), "cpu_us_per_msg": round(1e6 * cpu / messages),
        "rounds": len(runs), "first_s_range": spread(0), "cpu_s_range": spread(2),
    }


def previous(run):
    """Rows of the tools not run this time, from the last compare.csv."""
    path = ROOT / "benches/results/compare.csv"
    rows, searches = [], []
    if not path.exists():
        return rows, searches
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["tool"] in run or r["tool"] == "mailidx-baseline":
                continue
            if r["kind"] == "index":
                rows.append({k: r[k] for k in ("corpus", "tool", "input", "messages", "mail_mb", "first_s", "messages_per_s", "mb_per_s",
                                               "peak_rss_mb", "db_mb", "db_pct_of_mail", "reindex_s")}
                            | {k: r.get(k, "") for k in ("cpu_s", "cpu_us_per_msg", "rounds", "first_s_range", "cpu_s_range")})
            else:
                searches.append({"query": r["query"], "tool": r["tool"], "text": r["query_text"], "hits": r["hits"], "median_ms": r["median_ms"]})
    return rows, searches


def rounds_cell(r):
    """`3: 19.4–22.1, 32.5–36.6` for a row measured in rounds."""
    n = int(r.get("rounds") or 1)
    return f"{n}: {r['first_s_range']}, {r['cpu_s_range']}" if n > 1 else ""


def write(rows, searches):
    order = {"mailidx": 0, "mailidx-baseline": 1, "mairix": 2, "notmuch": 3, "mu": 4}
    shown = [t for t in order if any(s["tool"] == t for s in searches)]
    rows = sorted(rows, key=lambda r: (r["corpus"] != "38k", "core" in r["input"], order.get(r["tool"], 9)))
    out = ROOT / "benches/results"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "compare.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "corpus", "tool", "input", "messages", "mail_mb", "first_s", "messages_per_s", "mb_per_s", "peak_rss_mb", "db_mb", "db_pct_of_mail", "reindex_s", "query", "query_text", "hits", "median_ms", "cpu_s", "cpu_us_per_msg", "rounds", "first_s_range", "cpu_s_range"])
        for r in rows:
            w.writerow(["index", r["corpus"], r["tool"], r["input"], r["messages"], r["mail_mb"], r["first_s"], r["messages_per_s"], r["mb_per_s"], r["peak_rss_mb"], r["db_mb"], r["db_pct_of_mail"], r["reindex_s"], "", "", "", "", r["cpu_s"], r["cpu_us_per_msg"], r.get("rounds", 1), r.get("first_s_range", ""), r.get("cpu_s_range", "")])
        for s in searches:
            w.writerow(["search", "38k", s["tool"], "", "", "", "", "", "", "", "", "", "", s["query"], s["text"], s["hits"], s["median_ms"], "", "", "", "", ""])
    cpu = os.cpu_count()
    lines = [f"# mailidx vs notmuch, mu, mairix\n", f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {cpu} cores ({os.uname().sysname} {os.uname().release}), first indexes in interleaved rounds (medians, with the range of the rounds; the tools of an earlier run keep their own), searches the median of repeats; `python3 benches/compare.py {' '.join(sys.argv[1:])}`. With `--tools`, the other tools' rows come from the run before.\n",
             "## First index and no-change re-index\n",
             "| corpus | tool | input | messages | mail MB | first index s | messages/s | MB/s | CPU s (user+sys) | CPU µs/message | peak RSS MB | database MB | % of mail | re-index s | rounds: first index s, CPU s |",
             "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--|"]
    for r in rows:
        lines.append(f"| {r['corpus']} | {r['tool']} | {r['input']} | {r['messages']} | {r['mail_mb']} | {r['first_s']} | {r['messages_per_s']} | {r['mb_per_s']} | {r['cpu_s']} | {r['cpu_us_per_msg']} | {r['peak_rss_mb']} | {r['db_mb']} | {r['db_pct_of_mail']} | {r['reindex_s']} | {rounds_cell(r)} |")
    mairix = next((r for r in rows if r["corpus"] == "38k" and r["tool"] == "mairix"), None)
    if mairix and mairix.get("cpu_us_per_msg") not in (None, ""):
        lines += ["", "Against mairix (38k, its Maildir index): speed is messages/s over mairix's, CPU is CPU per message over mairix's.", "",
                  "| tool | input | speed | CPU per message |", "|---|---|--:|--:|"]
        for r in rows:
            if r["corpus"] == "38k" and r["tool"].startswith("mailidx") and "core" not in r["input"] and r.get("cpu_us_per_msg") not in (None, ""):
                speed = float(r["messages_per_s"]) / float(mairix["messages_per_s"])
                cost = float(r["cpu_us_per_msg"]) / float(mairix["cpu_us_per_msg"])
                lines.append(f"| {r['tool']} | {r['input']} | {speed:.2f}× | {cost:.2f}× |")
    lines += ["", "mailidx's database is its index plus all its Parquet tables (messages, hops, authentication, DKIM, attachments, locations, derived statistics).", "",
              "## Searches (38k corpus): median latency of repeated runs, process start included, and hit counts\n",
              "| query | " + " | ".join(shown) + " |", "|---|" + "---|" * len(shown)]
    for qname in QUERIES:
        cells = []
        for t in shown:
            s = next((s for s in searches if s["query"] == qname and s["tool"] == t), None)
            cells.append("—" if s is None else ("not expressible" if s["hits"] == "n/a" else f"{s['median_ms']} ms, {s['hits']} hits"))
        lines.append(f"| {qname} | " + " | ".join(cells) + " |")
    (out / "compare.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
