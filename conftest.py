"""Run every notebook in `nbs/` as one pytest item, the way `nbdev-test` does (same cell flags), so the test run
ends with pytest's count line and can run notebooks in parallel (`-n 2`).

Cells flagged `#| slow` are skipped unless `MC_SLOW=1` (or pytest `--slow`) is given."""
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

class NotebookItem(pytest.Item):
    def runtest(self):
        from nbdev.test import test_nb
        from nbdev.config import get_config
        skip = get_config().tst_flags.split()
        force = skip if (self.config.getoption('--slow') or os.environ.get('MC_SLOW') == '1') else None
        with _registries_restored():   # a chapter re-running its export cells re-registers its own class objects: not for the next notebook
            ok, secs = test_nb(self.path, skip_flags=skip, force_flags=force, showerr=True)
        self.user_properties.append(('seconds', secs))
        if not ok: raise NotebookError(f'{self.path.name} failed (traceback above, on stderr)')

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, NotebookError) else super().repr_failure(excinfo)

    def reportinfo(self): return self.path, 0, f'notebook {self.path.name}'
