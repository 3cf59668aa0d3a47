"""Convert a percent-format script (`# %%` code cells, `# %% [md]` markdown cells) into an nbdev notebook.

Authoring aid only: the `.ipynb` files in `nbs/` are the source of truth once written.
Usage: python tools/pct2nb.py SRC.py nbs/NN_name.ipynb
"""
import sys, re
from fastcore.nbio import mk_cell, new_nb, write_nb
from pathlib import Path

def pct2nb(src:str):
    cells, kind, buf = [], None, []
    def flush():
        if kind is None: return
        text = '\n'.join(buf).strip('\n')
        if not text: return
        cells.append(mk_cell(text, cell_type='markdown' if kind=='md' else 'code'))
    for line in src.splitlines():
        m = re.match(r'^# %%( \[md\])?\s*$', line)
        if m:
            flush(); kind, buf = ('md' if m.group(1) else 'code'), []
        else: buf.append(line)
    flush()
    return new_nb(cells, meta={"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}})

if __name__ == '__main__':
    src, dst = sys.argv[1:3]
    write_nb(pct2nb(Path(src).read_text()), dst)
