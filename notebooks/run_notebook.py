"""Run a notebook's code cells in order, printing each cell's last expression.

A stand-in for `jupyter nbconvert --execute` that needs only Python and the
notebook's own imports; tests/notebooks.rs uses it to check that every
notebook runs against a database mailidx wrote.

    MAILIDX_DB=DIR python3 notebooks/run_notebook.py notebooks/NAME.ipynb
"""
import ast
import json
import sys


def run(path):
    nb = json.load(open(path, encoding="utf-8"))
    env = {"__name__": "__main__"}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, path, "exec"), env)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), path, "eval"), env)
            if value is not None:
                print(value)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        run(p)
