"""Compares tables row for row, whatever the order of rows and part files.

    compare_tables.py DB_A DB_B            every table of two mailidx databases
    compare_tables.py --derived DB         DB/spark-derived/NAME against DB/tables/NAME

Prints one line per table and exits 1 if any differs. Timestamps compare as
epoch milliseconds, dates as text, lists joined, floats to 9 significant
digits (sums in another order differ in the last bits).
"""

import glob
import os
import sys

import polars as pl


def read(folder):
    files = sorted(glob.glob(os.path.join(folder, "*.parquet")))
    if not files:
        return None
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")


def normal(df, cols):
    out = []
    for c in cols:
        s = df[c]
        if isinstance(s.dtype, pl.Datetime):
            s = s.dt.epoch("ms").cast(pl.Utf8)
        elif isinstance(s.dtype, pl.List):
            s = s.cast(pl.List(pl.Utf8)).list.join("\x1f")
        elif s.dtype in (pl.Float32, pl.Float64):
            s = s.map_elements(lambda v: f"{v:.9g}", return_dtype=pl.Utf8)
        else:
            s = s.cast(pl.Utf8)
        out.append(s.alias(c))
    return pl.DataFrame(out).sort(cols, nulls_last=True)


def compare(name, a, b):
    if a is None and b is None:
        return True
    if a is None or b is None:
        print(f"{name}: only one side has rows")
        return False
    cols = [c for c in a.columns if c in b.columns]
    na, nb = normal(a, cols), normal(b, cols)
    if na.equals(nb):
        print(f"{name}: {a.height} rows, same")
        return True
    print(f"{name}: DIFFERS ({a.height} vs {b.height} rows)")
    if na.height == nb.height:
        for c in cols:
            if not na[c].equals(nb[c]):
                print(f"   column {c}: {(na[c] != nb[c]).sum()} rows differ")
    return False


def main(argv):
    ok = True
    if argv[0] == "--derived":
        db = argv[1]
        for name in ["spam_sources", "forgery_by_domain", "daily"]:
            ok &= compare(name, read(f"{db}/spark-derived/{name}"), read(f"{db}/tables/{name}"))
    else:
        a, b = argv
        for name in sorted(os.listdir(f"{a}/tables")):
            ok &= compare(name, read(f"{a}/tables/{name}"), read(f"{b}/tables/{name}"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
