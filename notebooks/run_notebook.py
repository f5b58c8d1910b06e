"""Execute notebooks headless with nbclient, as Jupyter would, and fail on
the first cell that raises.

    MAILIDX_DB=DIR python3 notebooks/run_notebook.py notebooks/NAME.ipynb ...
    MAILIDX_DB=DIR python3 notebooks/run_notebook.py --write notebooks/*.ipynb

Without --write the notebook files are left as they are; with it, each is
saved with its fresh outputs (how the committed outputs were made, from a
database of ../shared/corpora/spamassassin). For every notebook it prints
one line: the name, the cells run and the figures drawn.
"""
import argparse
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(path, write):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    try:
        client.execute()
    except CellExecutionError as e:
        print(f"{path}: a cell failed\n{e}", file=sys.stderr)
        return False
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    figures = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {}))
    if write:
        nbformat.write(nb, path)
    print(f"{os.path.basename(path)}: {cells} cells, {figures} figures")
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="save the outputs into the notebook files")
    p.add_argument("notebooks", nargs="+")
    a = p.parse_args()
    ok = all([run(nb, a.write) for nb in a.notebooks])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
