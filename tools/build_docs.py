"""Build the docs without Quarto (not installable on our machines), and README.md from nbs/index.ipynb.

    python tools/build_docs.py --readme     # README.md from nbs/index.ipynb's stored cells and outputs (fast; CI checks it)
    python tools/build_docs.py --no-exec    # also _docs/<notebook>.md from the notebooks as stored (seconds)
    python tools/build_docs.py              # also: execute + process every notebook with nbdev (`proc_nbs`, the step
                                            # before Quarto in `nbdev-docs`), then write _docs/<notebook>.md with
                                            # outputs and figures (PNG files beside it); runs every notebook: minutes

Where Quarto exists, `nbdev-docs` builds the HTML site from the same notebooks instead.
Hand-written: nbdev renders markdown only through Quarto, and nbconvert is not a dependency of ours."""
import base64, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_DIRECTIVE = re.compile(r'^\s*#\s*\|.*$\n?', re.M)

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def _hidden(code:str): return bool(re.search(r'^\s*#\s*\|\s*(hide|default_exp)\b', code, re.M))

def nb2md(nb:dict, img_dir:Path|None=None, img_prefix:str='') -> str:
    "Markdown of a notebook: markdown cells, visible code cells, their text/markdown/image outputs."
    out, n_img = [], 0
    for c in nb['cells']:
        s = _src(c)
        if c['cell_type'] == 'markdown': out.append(s.strip()); continue
        if c['cell_type'] != 'code' or _hidden(s): continue
        code = _DIRECTIVE.sub('', s).strip()
        if code: out.append(f"```python\n{code}\n```")
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if o.get('output_type') == 'stream': txt = ''.join(o.get('text', ''))
            elif 'image/png' in data and img_dir is not None:
                img_dir.mkdir(parents=True, exist_ok=True); n_img += 1
                f = img_dir / f'fig_{n_img}.png'; f.write_bytes(base64.b64decode(''.join(data['image/png'])))
                out.append(f"![]({img_prefix}{f.name})"); continue
            elif 'text/markdown' in data: out.append(''.join(data['text/markdown']).strip()); continue
            elif 'text/plain' in data: txt = ''.join(data['text/plain'])
            else: continue
            if txt.strip(): out.append(f"```\n{txt.rstrip()}\n```")
    return '\n\n'.join(x for x in out if x) + '\n'

def readme():
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())
    body = nb2md(nb)
    (ROOT / 'README.md').write_text('<!-- generated from nbs/index.ipynb by tools/build_docs.py: edit the notebook -->\n\n' + body)

def docs(execute=True):
    if execute:
        from nbdev.serve import proc_nbs
        src = Path(proc_nbs(str(ROOT / 'nbs'), n_workers=2, force=True))
    else: src = ROOT / 'nbs'
    dest = ROOT / '_docs'; dest.mkdir(exist_ok=True)
    for p in sorted(q for q in src.glob('*.ipynb') if not q.name.startswith('_')):
        md = nb2md(json.loads(p.read_text()), dest / f'{p.stem}_files', f'{p.stem}_files/')
        (dest / f'{p.stem}.md').write_text(md)
        print('wrote', (dest / f'{p.stem}.md').relative_to(ROOT))

if __name__ == '__main__':
    readme()
    if '--readme' not in sys.argv: docs(execute='--no-exec' not in sys.argv)
