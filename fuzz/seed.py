#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from ../shared/corpora.

Usage: python3 fuzz/seed.py [OUT]   (OUT defaults to ~/.cache/mailidx-fuzz/seeds)

  message   every message file of the corpora up to 256 KiB
  received  the Received header values found in them
  authres   their Authentication-Results, ARC-Authentication-Results and
            Received-SPF values
  dkim      their DKIM-Signature values, plus the flanker DKIM
            canonicalisation tests
  mbox      runs of 1 to 5 consecutive messages of the freedreno archive as
            mbox text, plus a few hand-written edge cases

The seeds stay out of the repository (the corpora are read in place); each
file is named by the BLAKE2 hash of its content, so reruns add nothing twice.
"""
import email
import email.policy
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.home() / ".cache" / "mailidx-fuzz" / "seeds"
SKIP = {"LICENSE", "LICENSES", "COPYING", "MANIFEST.md"}


def put(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    (d / hashlib.blake2b(data, digest_size=16).hexdigest()).write_bytes(data)


def message_files():
    for p in sorted(CORPORA.rglob("*")):
        if p.is_file() and not p.is_symlink() and p.name not in SKIP and p.suffix != ".zst" \
                and not any(part in SKIP for part in p.parts) and p.stat().st_size <= 256 * 1024:
            yield p


def main():
    counts = {}
    for p in message_files():
        raw = p.read_bytes()
        put("message", raw)
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        for name, target in [("Received", "received"), ("Authentication-Results", "authres"),
                             ("ARC-Authentication-Results", "authres"), ("Received-SPF", "authres"),
                             ("DKIM-Signature", "dkim")]:
            for value in msg.get_all(name) or []:
                put(target, str(value))
    canon = CORPORA / "flanker" / "dkim-canon"
    if canon.is_dir():
        for p in canon.rglob("*"):
            if p.is_file():
                put("dkim", p.read_bytes())
    zst = CORPORA / "lists-freedreno" / "freedreno.mbox.zst"
    if zst.exists():
        text = subprocess.run(["zstd", "-dc", str(zst)], capture_output=True, check=True).stdout[:4 << 20]
        starts, i = [0], text.find(b"\nFrom ")
        while i >= 0 and len(starts) < 400:
            starts.append(i + 1)
            i = text.find(b"\nFrom ", i + 1)
        for n in range(len(starts) - 5):
            put("mbox", text[starts[n]:starts[n + n % 5 + 1]])
    for edge in [b"From a\nX: 1\n\nbody", b"From a\r\nX: 1\r\n\r\n>From b\r\n\r\nFrom c\r\n",
                 b"junk\nFrom a\n\n\nFrom b\n", b"From a\rX: 1\r\rFrom b\r", b"From \n>>From x\n>From\n"]:
        put("mbox", edge)
    for target in sorted(os.listdir(OUT)):
        counts[target] = len(os.listdir(OUT / target))
    print(" ".join(f"{t}={n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
