"""Run every notebook in `nbs/` as one pytest item, the way `nbdev-test` does (same cell flags), so the test run
ends with pytest's count line and can run notebooks in parallel (`-n 2`).

Cells flagged `#| slow` are skipped unless `MC_SLOW=1` (or pytest `--slow`) is given.

A page's stored outputs are part of what it says: each code cell's stored text output (printed text, a value's repr)
must be what the cell prints now, so a page cannot go stale unseen. A cell whose output legitimately differs
between runs (timings, training figures) carries `#| varies`, and is run but not compared. `MC_UPDATE_OUTPUTS=1`
writes the outputs of every cell that ran back instead, pictures included (then run `nbdev-clean`); with `MC_SLOW=1` it
refreshes the slow cells' outputs too."""
import os, sys, pytest
from pathlib import Path

# Test this checkout's package even when another copy is installed (CI runs in a fresh clone).
sys.path.insert(0, str(Path(__file__).resolve().parent))

def pytest_addoption(parser):
    parser.addoption('--slow', action='store_true', help='also run notebook cells flagged `#| slow`')

def pytest_collect_file(parent, file_path):
    if file_path.suffix == '.ipynb' and not file_path.name.startswith(('_', '.')) and '.ipynb_checkpoints' not in str(file_path):
        return NotebookFile.from_parent(parent, path=file_path)

from contextlib import contextmanager

@contextmanager
def _registries_restored():
    "Put every registry's entries back as they were after a notebook ran: notebooks share a process under xdist, and a chapter's export cells register the classes they just defined (e.g. 07's `Involution`), which later notebooks' isinstance checks against the package's class would not recognise."
    import gc
    from model_constructor.layers import Registry
    regs = [o for o in gc.get_objects() if type(o) is Registry]   # type(), not isinstance: a dead weak proxy raises on isinstance
    saved = [(r, dict(r._items), dict(r._aliases)) for r in regs]
    try: yield
    finally:
        for r, items, aliases in saved:
            for k, v in list(r._items.items()):
                if getattr(v, '__module__', None) == '__main__':   # defined in the notebook's kernel, not by the package
                    if k in items: r._items[k] = items[k]
                    else: del r._items[k]

class NotebookFile(pytest.File):
    def collect(self): yield NotebookItem.from_parent(self, name=self.path.stem)

class NotebookError(Exception): pass

import re as _re
_ADDR = _re.compile(r' at 0x[0-9a-f]+')

def _text(outputs) -> str:
    "The text a cell showed: its printed streams and its value's plain repr (pictures and HTML are not compared)."
    parts = []
    for o in outputs or []:
        if o.get('output_type') == 'stream' and o.get('name') == 'stdout': parts.append(''.join(o.get('text', '')))
        elif o.get('output_type') == 'execute_result': parts.append(''.join(o.get('data', {}).get('text/plain', '')))
    return _ADDR.sub(' at 0x…', '\n'.join(p.rstrip() for p in parts).strip())

_CHECK = _re.compile(r'^\s*(?:with\s+)?(?:test_\w+|assert\b|ExceptionExpected)', _re.M)

def _is_example(source:str) -> bool:
    "A cell a page shows with its output: not exported or hidden, and not a cell of tests (those show nothing)."
    first = [l.strip() for l in source.splitlines() if l.strip().startswith('#|')]
    return not any(d.split()[1] in ('export', 'exports', 'exporti', 'hide', 'default_exp') for d in first if len(d.split()) > 1) \
        and not _CHECK.search(source)

def run_notebook(path, skip, force, update=False):
    "Run a notebook as nbdev-test does; returns (ok, seconds, stale): `stale` lists cells whose stored text output differs from the fresh one."
    import time, sys, traceback, json
    from pathlib import Path
    from nbdev.test import _skip_cell
    from nbdev.process import NBProcessor
    from nbdev.config import get_config
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from fastcore.nbio import write_nb
    import signal, threading
    from nbdev.test import _int_handler
    if threading.current_thread() is threading.main_thread(): signal.signal(signal.SIGINT, _int_handler)   # as nbdev-test: an xdist worker ignores SIGINT, and the processes a notebook starts would inherit that
    path = Path(path)
    stored = {c.get('id'): c for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code'}
    nb = NBProcessor(path, rm_directives=False, process=True).nb
    skip_cell = _skip_cell(nb, skip, force)
    stale, ran = [], set()
    def post(cell): ran.add(cell.get('id'))
    k, t0 = CaptureShell(path, profile=bool(get_config(path.parent).exec_profile)), time.time()
    try:
        with working_directory(path.parent): k.run_all(nb, exc_stop=True, preproc=skip_cell, postproc=post, cell_timeout=600)
    except Exception:
        sys.__stderr__.write((k.prettytb(fname=path) or traceback.format_exc()) + '\n')
        return False, time.time() - t0, stale
    for i, c in enumerate(nb.cells):
        if c.cell_type != 'code' or c.get('id') not in ran or c.get('id') not in stored: continue
        if not update and (any(d.strip() == 'varies' for d in (c.get('directives_') or {})) or '#| varies' in c.source): continue
        old, new = _text(stored[c.get('id')].get('outputs')), _text(c.get('outputs'))
        if update:   # cells that show something: those with stored outputs, and new worked examples (not exported, hidden or test cells)
            if old or stored[c.get('id')].get('outputs') or _is_example(c.source): stored[c.get('id')]['outputs'] = c.get('outputs')
            continue
        if old and old != new:
            ol, nl = old.splitlines(), new.splitlines()
            j = next((j for j in range(max(len(ol), len(nl))) if (ol[j:j+1] or [''])[0] != (nl[j:j+1] or [''])[0]), 0)
            stale.append(f"cell {i} ({c.source.splitlines()[0][:60]!r}): stored line {j+1} {(ol[j:j+1] or ['<none>'])[0][:120]!r}, now {(nl[j:j+1] or ['<none>'])[0][:120]!r}")
    if update:
        raw = json.loads(path.read_text())
        for c in raw['cells']:
            if c['cell_type'] == 'code' and c.get('id') and c.get('id') in stored: c['outputs'] = stored[c['id']].get('outputs', [])
        path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')
    return True, time.time() - t0, stale

class NotebookItem(pytest.Item):
    def runtest(self):
        from nbdev.config import get_config
        skip = get_config().tst_flags.split()
        force = skip if (self.config.getoption('--slow') or os.environ.get('MC_SLOW') == '1') else None
        prev = os.environ.get('IN_TEST'); os.environ['IN_TEST'] = '1'
        try:
            with _registries_restored():   # a chapter re-running its export cells re-registers its own class objects: not for the next notebook
                ok, secs, stale = run_notebook(self.path, skip, force, update=os.environ.get('MC_UPDATE_OUTPUTS') == '1')
        finally:
            if prev is None: os.environ.pop('IN_TEST', None)
            else: os.environ['IN_TEST'] = prev
        self.user_properties.append(('seconds', secs))
        if not ok: raise NotebookError(f'{self.path.name} failed (traceback above, on stderr)')
        if stale: raise NotebookError(f"{self.path.name}: stored outputs no longer match what the cells print (mark a cell `#| varies` if its output "
                                      f"legitimately changes between runs; MC_UPDATE_OUTPUTS=1 refreshes them):\n  " + '\n  '.join(stale))

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, NotebookError) else super().repr_failure(excinfo)

    def reportinfo(self): return self.path, 0, f'notebook {self.path.name}'
