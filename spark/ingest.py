"""mailidx ingest on a Spark cluster.

    spark-submit --master MASTER spark/ingest.py INPUT... --db DIR [--append]
                 [--slice-bytes N] [--mailidx PATH]

Spark distributes, mailidx does the work: nothing of the parsing or the
analysis is written again here.

1. The driver lists the archive with `mailidx slices` (whole Maildir and
   .eml files, whole compressed mboxes, plain mboxes cut into byte ranges
   at message boundaries) and groups the slices into tasks of about
   --slice-bytes each.
2. Each task runs the mailidx binary (shipped to every executor with
   SparkContext.addFile) on its slices: `mailidx ingest --slice`, into a
   database of its own under DIR/.spark-staging/RUN/, named by task and
   attempt, so that a retried attempt never shares a folder with a failed
   one.
3. When every task has succeeded, the driver joins the databases of the
   successful attempts with `mailidx merge` into DIR: one commit, so
   nothing is visible before all tasks are done, and a failed or retried
   task leaves no doubled rows. Then the staging folder goes.
4. The derived tables are computed again with Spark SQL over the whole
   database (spark/derived.py) into DIR/spark-derived/.

INPUT and DIR must be paths that every node sees the same way (a shared
filesystem such as NFS, or local paths in local mode): the tasks read the
archive and write their databases there. --append ingests only the files
that DIR does not record as ingested (by this job or by `mailidx ingest`);
it refuses when a file DIR records was changed or removed since (bring
those up to date with `mailidx ingest`, which reads only what changed).
One run at a time per DIR (DIR/.spark-lock); everything is written for the
user alone (umask 077), as mailidx writes its databases.
"""

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import uuid


def log(msg):
    print(f"mailidx-spark {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Ingest an archive into a mailidx database on Spark.")
    p.add_argument("inputs", nargs="+", help="Maildir folders, mbox files, .eml files or trees holding them")
    p.add_argument("--db", required=True, help="the database directory (seen by every node)")
    p.add_argument("--append", action="store_true", help="add to DIR: ingest only what an earlier run did not")
    p.add_argument("--slice-bytes", type=int, default=64 << 20, help="bytes of mail per task (mbox ranges are cut to this size)")
    p.add_argument("--mailidx", default=None, help="the mailidx binary to ship to the executors (default: mailidx on PATH)")
    return p.parse_args(argv)


def group(entries, budget):
    """Tasks of about `budget` bytes: each mbox range alone, small files together."""
    tasks, current, size = [], [], 0
    for e in entries:
        n = max(e["end"] - e["start"], 1)
        if current and size + n > budget:
            tasks.append(current)
            current, size = [], 0
        current.append(e)
        size += n
    if current:
        tasks.append(current)
    return tasks


def fail(msg):
    print(f"mailidx-spark: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


def mailidx(binary, *args):
    """Runs mailidx; its own message, not a traceback, when it fails."""
    p = subprocess.run([binary, *args], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"mailidx {args[0] if args[0] != '--db' else args[2]} failed: {p.stderr.strip()[-2000:]}")
    return p.stdout


def recorded_sources(db):
    """What DIR records of each archive file (DIR/tables/.sources.json)."""
    path = os.path.join(db, "tables", ".sources.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def new_entries(entries, sources):
    """The slices of files DIR does not record; refuses when a recorded file changed or left."""
    seen, new, changed = set(), [], []
    for e in entries:
        seen.add(e["path"])
        old = sources.get(e["path"])
        if old is None:
            new.append(e)
            continue
        try:
            st = os.stat(e["path"])
        except OSError:
            continue
        if st.st_size != old["size"] or st.st_mtime_ns != old["mtime_ns"]:
            changed.append(e["path"])
    gone = [p for p in sources if p not in seen and not os.path.exists(p)]
    for what, paths in (("changed", changed), ("gone", gone)):
        if paths:
            fail(f"{len(set(paths))} files ingested before have {what} since (first: {sorted(set(paths))[0]}); --append only adds files: bring the database up to date with `mailidx --db DIR ingest INPUT...`, then run the job again")
    return new


def main(argv):
    from pyspark.sql import SparkSession

    args = parse_args(argv)
    os.umask(0o077)
    binary = os.path.abspath(args.mailidx or shutil.which("mailidx") or "")
    if not os.access(binary, os.X_OK):
        fail("no mailidx binary; pass --mailidx PATH (cargo build --release)")
    db = os.path.abspath(args.db)
    roots = [os.path.abspath(p) for p in args.inputs]
    if os.path.exists(db) and not os.path.isdir(db):
        fail(f"--db {db}: is a file, not a database directory")
    for r in roots:
        if not os.path.exists(r):
            fail(f"{r}: no such file or directory")
    if args.slice_bytes < 1:
        fail("--slice-bytes: at least 1")
    if os.path.exists(os.path.join(db, "index")) and not args.append:
        fail(f"{db} holds a database already; pass --append to add to it")
    os.makedirs(db, mode=0o700, exist_ok=True)
    lock = open(os.path.join(db, ".spark-lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fail(f"{db} is in use by another run of this job")

    spark = SparkSession.builder.appName("mailidx ingest").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    sc.addFile(binary)
    name = os.path.basename(binary)

    log("stage 1/4: listing the archive (mailidx slices)")
    out = mailidx(binary, "slices", *roots, "--max-bytes", str(args.slice_bytes))
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]
    new = new_entries(entries, recorded_sources(db)) if args.append else entries
    tasks = group(new, args.slice_bytes)
    log(f"stage 1/4: {len(entries)} slices, {len(new)} new, in {len(tasks)} tasks")
    if not tasks:
        log("nothing new to ingest")
        spark.stop()
        return 0

    run = uuid.uuid4().hex[:12]
    staging = os.path.join(db, ".spark-staging", run)
    os.makedirs(staging, exist_ok=True)
    fail_once = os.environ.get("MAILIDX_SPARK_FAIL_ONCE")

    def run_task(index, parts):
        from pyspark import SparkFiles, TaskContext

        os.umask(0o077)
        parts = list(parts)
        attempt = TaskContext.get().attemptNumber()
        exe = SparkFiles.get(name)
        os.chmod(exe, 0o755)
        out_dir = os.path.join(staging, f"task-{index:05d}-attempt-{attempt}")
        shutil.rmtree(out_dir, ignore_errors=True)
        slice_file = out_dir + ".slices"
        with open(slice_file, "w") as f:
            for task in parts:
                for e in task:
                    f.write(json.dumps(e) + "\n")
        cmd = [exe, "--db", out_dir, "ingest", "-q", "--slice", slice_file, *roots]
        # A test's way to kill one task in the middle of its work, once.
        if fail_once and index == 0 and not os.path.exists(fail_once):
            open(fail_once, "w").close()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3)
            proc.kill()
            proc.wait()
            raise RuntimeError("mailidx-spark: task killed on purpose (MAILIDX_SPARK_FAIL_ONCE)")
        p = subprocess.run(cmd, capture_output=True, text=True)
        # 1: finished, with problems recorded in the errors table.
        if p.returncode not in (0, 1):
            raise RuntimeError(f"mailidx ingest --slice failed ({p.returncode}): {p.stderr[-2000:]}")
        yield (index, out_dir)

    log(f"stage 2/4: {len(tasks)} tasks run mailidx ingest --slice")
    started = time.time()
    results = sc.parallelize(tasks, len(tasks)).mapPartitionsWithIndex(run_task).collect()
    shards = [d for _, d in sorted(results)]
    log(f"stage 2/4: {len(shards)} tasks done in {time.time() - started:.1f} s")

    log("stage 3/4: joining the tasks' databases (mailidx merge)")
    started = time.time()
    root_args = [a for r in roots for a in ("--root", r)]
    out = mailidx(binary, "--db", db, "merge", *root_args, *shards)
    log(f"stage 3/4: {out.strip()} ({time.time() - started:.1f} s)")
    log("stage 4/4: the derived tables with Spark SQL (DIR/spark-derived/)")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import derived

    derived.write_all(spark, db, os.path.join(db, "spark-derived"))
    # Spark's writer does not follow the umask: the user's mail stays theirs.
    for top, dirs, files in os.walk(os.path.join(db, "spark-derived")):
        for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
            os.chmod(name, 0o700 if os.path.isdir(name) else 0o600)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(staging))
    except OSError:
        pass  # another run's staging, or a failed run's, is still there
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
