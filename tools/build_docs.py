"""Build the docs site (HTML, offline) from the notebooks, and README.md from nbs/index.ipynb.

    pip install -e ".[docs]"
    python tools/build_docs.py              # the site in _site/ from the notebooks as stored (no execution): about a minute
    python tools/build_docs.py --readme     # only README.md from nbs/index.ipynb's stored cells and outputs (CI checks it)

Quarto, which `nbdev-docs` drives, downloads its binary at install time and cannot be installed offline; this builds
the same pages with Sphinx + myst-nb (notebooks with their stored outputs) + sphinx-book-theme, ABlog for the posts,
and MathJax from the local `sphinx-mathjax-offline` package (Sphinx's default MathJax comes from a CDN). nbdev's cell
directives are translated the way nbdev's own processors treat them: `#| hide` and `#| default_exp` cells are left
out, `#| export` cells are replaced by an API entry for each public name they define (signature, docstring, a
parameter table from fastcore's docments, a link to the line of the generated module), `#| echo: false` hides the source and `#| output: false` the output;
cells of tests that show nothing are folded ("Show the checks"); fastai's training log shows as a table;
backticked names of the package link to their entries. Hand-written because nbdev's processors emit Quarto markdown
and Sphinx has no notion of nbdev's directives."""
import argparse, ast, base64, contextlib, dataclasses, importlib, inspect, json, os, re, shutil, subprocess, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*?)\s*$')

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def _directives(code:str) -> tuple:
    "nbdev's `#| ...` lines of a cell (lower-case, as one string each) and the code without them."
    dirs, rest = [], []
    for line in code.splitlines():
        m = _DIRECTIVE.match(line)
        if m and not rest: dirs.append(m.group(1).lower())      # directives head a cell
        else: rest.append(line)
    return dirs, '\n'.join(rest).strip('\n')

def _hidden(dirs) -> bool: return any(d.split(':')[0].split()[0] in ('hide', 'default_exp', 'exporti', 'hide_input') for d in dirs if d)
def _exported(dirs) -> bool: return any(d.split()[0] in ('export', 'exports') for d in dirs if d)

# ---- README (GitHub markdown from index.ipynb) ----
def nb2md(nb:dict) -> str:
    "Markdown of a notebook: markdown cells, visible code cells and their text/markdown outputs."
    out = []
    for c in nb['cells']:
        s = _src(c)
        if c['cell_type'] == 'markdown': out.append(s.strip()); continue
        if c['cell_type'] != 'code': continue
        dirs, code = _directives(s)
        if _hidden(dirs): continue
        if code.strip(): out.append(f"```python\n{code.strip()}\n```")
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if o.get('output_type') == 'stream': txt = ''.join(o.get('text', ''))
            elif 'text/markdown' in data: out.append(''.join(data['text/markdown']).strip()); continue
            elif 'text/plain' in data: txt = ''.join(data['text/plain'])
            else: continue
            if txt.strip(): out.append(f"```\n{txt.rstrip()}\n```")
    return '\n\n'.join(x for x in out if x) + '\n'

def readme():
    nb = json.loads((ROOT/'nbs'/'index.ipynb').read_text())
    (ROOT/'README.md').write_text('<!-- generated from nbs/index.ipynb by tools/build_docs.py: edit the notebook -->\n\n' + nb2md(nb))

# ---- the site ----
def _project():
    cfg = tomllib.loads((ROOT/'pyproject.toml').read_text())
    sys.path.insert(0, str(ROOT))
    import model_constructor
    return dict(version=model_constructor.__version__, repo=cfg['project']['urls']['Repository'], branch=cfg['tool']['nbdev'].get('branch', 'main'),
                lib=cfg['tool']['nbdev']['lib_path'], description=cfg['project']['description'])

def _symbols(lib:str) -> dict:
    "Public names of the package -> (module, page): the notebook that defines each (from nbdev's _modidx)."
    idx = importlib.import_module(f'{lib}._modidx').d['syms']
    res = {}
    for mod, syms in idx.items():
        for name, (url, _path) in syms.items():
            short = name.split('.', 1)[1]
            page = url.split('#')[0].rsplit('/', 1)[-1].replace('.html', '')
            if not short.split('.')[-1].startswith('_'): res[short] = (mod, page)
    return res

def _slug(s:str) -> str:
    "The anchor MyST gives a heading (GitHub's rule)."
    return re.sub(r'[^\w\- ]', '', s.strip().lower()).replace(' ', '-')

def _link_names(md:str, syms:dict, here:str) -> str:
    "Backticked package names become links to their API entries (outside code blocks and existing links)."
    parts = re.split(r'(```.*?```|\[[^\]]*\]\([^)]*\))', md, flags=re.S)
    def sub(m):
        name = m.group(1).rstrip('()')
        if name not in syms: return m.group(0)
        page = syms[name][1]
        return f"[{m.group(0)}]({'' if page == here else page + '.ipynb'}#{_slug(name)})"
    return ''.join(p if i % 2 else re.sub(r'`([A-Za-z_][\w.]*(?:\(\))?)`', sub, p) for i, p in enumerate(parts))

def _rewrite_links(md:str, proj, depth:int=0, base:str='') -> str:
    "Links written for GitHub (README, nbs/...) as links inside the site; files outside the site to the repository."
    up = '../' * depth
    def sub(m):
        text, target = m.group(1), m.group(2)
        if re.match(r'^[a-z]+:|^#', target): return m.group(0)
        t = target
        if depth and t.startswith('../' * depth):   # a post's link up to a page of the site (a chapter, the home page, benchmarks)
            inner = t[3 * depth:]
            if inner.split('#')[0] in ('benchmarks.md', 'leaderboard.md', 'frontier.md') or \
               (inner.split('#')[0].endswith('.ipynb') and (ROOT/'nbs'/inner.split('#')[0]).exists()): return m.group(0)
            t = inner
        for pre in ('nbs/', '../nbs/'):
            if t.startswith(pre): t = t[len(pre):]
        t = re.sub(r'^(\.\./)+', '', t) if depth == 0 else t
        if base and not t.startswith(('nbs/', 'benchmarks/', 'leaderboard/')): t = base + t
        if t in ('benchmarks/README.md', 'benchmarks/'): return f"[{text}]({up}benchmarks.md)"
        if t in ('leaderboard/README.md', 'leaderboard/'): return f"[{text}]({up}leaderboard.md)"
        if t == 'leaderboard/frontier.md': return f"[{text}]({up}frontier.md)"
        if re.match(r'^(posts/)?[\w-]+\.ipynb(#.*)?$', t): return f"[{text}]({t})"
        if (ROOT/'nbs'/t.split('#')[0]).exists() and t.endswith('.ipynb'): return f"[{text}]({t})"
        return f"[{text}]({proj['repo']}/blob/{proj['branch']}/{t})"   # a file of the repository, not a page
    return re.sub(r'(?<!!)\[([^\]]*)\]\(([^)\s]+)\)', sub, md)

_P = inspect.Parameter

def _anno(a) -> str:
    if a is _P.empty: return ''
    return (a if isinstance(a, str) else getattr(a, '__name__', None) or repr(a)).replace('typing.', '').replace('NoneType', 'None')

def _params(obj) -> list:
    "(name as written in a call, type, default or None, docment) of each parameter of a function or class, `self` aside."
    from fastcore.docments import docments
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return []
    try: docs = docments(obj, full=True)
    except Exception: docs = {}
    dflt = {f.name: f.default_factory() for f in dataclasses.fields(obj) if f.default_factory is not dataclasses.MISSING} \
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj) else {}
    out = []
    for p in sig.parameters.values():
        if p.name == 'self': continue
        star = '*' if p.kind is _P.VAR_POSITIONAL else '**' if p.kind is _P.VAR_KEYWORD else ''
        d = dflt[p.name] if p.name in dflt else (p.default if p.default is not _P.empty else None)
        has = p.name in dflt or p.default is not _P.empty
        doc = (docs.get(p.name) or {}).get('docment') or (_star_comment(obj, star + p.name) if star else '')
        out.append(dict(name=star + p.name, kind=p.kind, anno=_anno(p.annotation), default=_short_repr(d) if has else None, doc=doc))
    return out

def _star_comment(obj, name:str) -> str:
    "The comment after `*args`/`**kwargs` in the source (fastcore's docments reads none for them)."
    try: src = inspect.getsource(obj)
    except (OSError, TypeError): return ''
    m = re.search(re.escape(name) + r'\s*,?\s*#\s*(.+)', src)
    return m.group(1).strip() if m else ''

def _signature(obj, n:str) -> str:
    "The entry's signature as code: `class`/`def`, the parameters with their defaults (no annotations: the table has them), wrapped to the text width."
    ps = _params(obj)
    if inspect.isclass(obj) and all(p['kind'] in (_P.VAR_POSITIONAL, _P.VAR_KEYWORD) for p in ps):
        bases = ', '.join(f"nn.{b.__qualname__}" if b.__module__.startswith('torch.nn') else b.__qualname__
                          for b in obj.__bases__ if b is not object)
        return f"class {n}({bases})" if bases else f"class {n}"      # nothing to call it with: say what it is
    parts, kw_only = [], False
    for p in ps:
        if p['kind'] is _P.KEYWORD_ONLY and not kw_only and not any(q['kind'] is _P.VAR_POSITIONAL for q in ps): parts.append('*'); kw_only = True
        parts.append(p['name'] + (f"={p['default']}" if p['default'] is not None else ''))
    head, lines, cur = ('class ' if inspect.isclass(obj) else 'def ') + n + '(', [], ''
    for i, x in enumerate(parts):
        piece = x + (', ' if i < len(parts) - 1 else '')
        if len(head) + len(cur) + len(piece) > 68 and cur: lines.append(cur.rstrip()); cur = ''
        cur += piece
    lines.append(cur)
    ret = ''
    if not inspect.isclass(obj):
        with contextlib.suppress(TypeError, ValueError):
            r = inspect.signature(obj).return_annotation
            if r is not _P.empty: ret = ' -> ' + _anno(r)
    pad = ' ' * len(head)
    return head + ('\n' + pad).join(lines) + ')' + ret

def _table(obj) -> str:
    "fastcore's docments of the parameters as a table: name, type, default, what it is."
    ps = _params(obj)
    if not any(p['doc'] for p in ps): return ''     # as nbdev: a table where the parameters are documented, else the signature says it all
    esc = lambda x: str(x).replace('|', '\\|').replace('\n', ' ')
    rows = ['| parameter | type | default | details |', '|---|---|---|---|']
    for p in ps:
        rows.append(f"| `{p['name']}` | {('`' + esc(p['anno']) + '`') if p['anno'] else ''} | "
                    f"{('`' + esc(p['default']) + '`') if p['default'] is not None else ''} | {esc(p['doc'])} |")
    return '\n'.join(rows)

def _source_link(obj, n:str, mod, proj) -> str|None:
    "The line of the generated module that defines `n`: a preset made by a factory links to its own registration line, not the factory's."
    try: f = Path(inspect.getsourcefile(mod)).resolve()
    except TypeError: return None
    line = None
    if getattr(obj, '__module__', None) != mod.__name__ or getattr(obj, '__name__', n) != n or inspect.isfunction(obj) and obj.__code__.co_name != n:
        m = re.search(rf'^[\w\s,]*\b{re.escape(n)}\b[\w\s,]*(?::[^=\n]*)?=(?!=)', f.read_text(), re.M)   # `xresnet18 = register_model(...)`, `a, b = ...`
        if m: line = f.read_text()[:m.start()].count('\n') + 1
    if line is None:
        try: line = inspect.getsourcelines(obj)[1]
        except (TypeError, OSError): return None
    return f"{proj['repo']}/blob/{proj['branch']}/{f.relative_to(ROOT)}#L{line}"

def _entry(obj, n:str, level:int=3) -> str:
    "One API entry: heading, signature, docstring, parameter table."
    doc = inspect.getdoc(obj) if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__doc__ else ''
    md = f"{'#' * level} {n}\n\n```python\n{_signature(obj, n)}\n```\n"
    if doc: md += '\n' + doc.strip() + '\n'
    t = _table(obj)
    return md + ('\n' + t + '\n' if t else '')

def _api_cells(code:str, mod, proj, syms) -> list:
    "An API entry for each public top-level name the exported cell defines (signature, docstring, docments table), with a link to its line."
    names = []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.append(node.name)
        elif isinstance(node, ast.Assign): names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    public = set(getattr(mod, '__all__', []))
    cells = []
    for n in names:
        if n not in public or not hasattr(mod, n): continue
        obj = getattr(mod, n)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            cells.append(_md(f"### {n}\n\n`{n}` = `{_short_repr(obj)}`")); continue
        src = _source_link(obj, n, mod, proj)
        md = _entry(obj, n).replace(f'### {n}', f'### {n}' + (f'\n\n<a class="source-link" href="{src}">source</a>' if src else ''), 1)
        meths = [(k, v) for k, v in vars(obj).items() if inspect.isclass(obj) and inspect.isfunction(v) and not k.startswith('_') and v.__doc__]
        for k, v in meths: md += '\n' + _entry(v, f'{n}.{k}', level=4)
        cells.append(_md(_link_names(md, syms, '')))
    return cells

def _short_repr(o) -> str:
    r = repr(o)
    return r if len(r) <= 120 else r[:117] + '...'

def _md(s): return dict(cell_type='markdown', metadata={}, source=s)

def _terminal(text:str) -> str:
    "What a terminal shows of a stream: each line as its last carriage return left it, progress bars' block characters gone."
    bar = re.compile(r'\s*(?:Epoch \d+/\d+ : )?\|-*\|\s*\d+(?:\.\d+)?% \[[^\]]*\]\s*')   # a fastprogress bar left at a line's start
    lines = [bar.sub('', l.split('\r')[-1].replace('\u2588', '')).rstrip() for l in text.split('\n')]
    return '\n'.join(l for l in lines if l.strip() or not l)

def _outputs(outputs) -> list:
    "A cell's outputs as the page shows them: progress bars resolved; each fastai training log (its console table) as an HTML table."
    import html
    res = []
    def text_out(o, ls):
        if any(l.strip() for l in ls): res.append(dict(o, text='\n'.join(ls).strip('\n') + '\n'))
    def table_out(cols, rows):
        h = ('<table class="fastai-log"><thead><tr>' + ''.join(f'<th>{html.escape(c)}</th>' for c in cols) + '</tr></thead><tbody>' +
             ''.join('<tr>' + ''.join(f'<td>{html.escape(v)}</td>' for v in r) + '</tr>' for r in rows) + '</tbody></table>')
        plain = '\n'.join('  '.join(r) for r in [cols, *rows])
        res.append(dict(output_type='display_data', metadata={}, data={'text/html': h, 'text/plain': plain}))
    for o in outputs or []:
        if o.get('output_type') != 'stream': res.append(o); continue
        lines, text, cols, rows = _terminal(''.join(o.get('text', ''))).splitlines(), [], None, []
        for l in lines:
            if re.match(r'^epoch\s+train_loss', l):
                if cols: table_out(cols, rows)
                text_out(o, text); text, cols, rows = [], re.split(r'\s{2,}', l.strip()), []
            elif cols and re.match(r'^\d+\s', l): rows.append(re.split(r'\s{2,}', l.strip()))
            else:
                if cols: table_out(cols, rows); cols, rows = None, []
                text.append(l)
        if cols: table_out(cols, rows)
        text_out(o, text)
    if any(r.get('output_type') == 'display_data' and 'fastai-log' in str(r.get('data', {}).get('text/html', '')) for r in res):
        # myst-nb merges a cell's streams into its first one: between the tables, text goes as display data to keep its place
        res = [dict(output_type='display_data', metadata={}, data={'text/plain': r['text']}) if r.get('output_type') == 'stream' else r for r in res]
    return res

_CHECK = re.compile(r'^\s*(?:with\s+)?(?:test_\w+|assert\b|ExceptionExpected|test_fail)', re.M)

def _is_checks(code:str, outputs) -> bool:
    "A cell of tests (fastcore.test calls, asserts, expected exceptions) that shows nothing: the page folds it."
    return not outputs and bool(_CHECK.search(code))

def convert(nb:dict, proj, syms, page:str, depth:int=0) -> dict:
    "A notebook as the site shows it (see the module docstring)."
    mod, level = None, 1   # level: of the last heading so far (API entries go one below it: no H1 -> H3 jumps)
    cells = []
    for c in nb['cells']:
        s = _src(c)
        if c['cell_type'] == 'markdown':
            hs = re.findall(r'^(#{1,6})\s', re.sub(r'```.*?```', '', s, flags=re.S), re.M)
            if hs: level = len(hs[-1])
            cells.append(_md(_link_names(_rewrite_links(s, proj, depth), syms, page))); continue
        if c['cell_type'] != 'code': continue
        dirs, code = _directives(s)
        for d in dirs:
            if d.startswith('default_exp'): mod = importlib.import_module(f"{proj['lib']}.{d.split()[1]}")
        if _hidden(dirs): continue
        if _exported(dirs) and mod is not None:
            shift = max(3 - (level + 1), 0)
            for a in _api_cells(code, mod, proj, syms):
                a['source'] = re.sub(r'^(#{3,4}) ', lambda m: '#' * (len(m.group(1)) - shift) + ' ', _src(a), flags=re.M) if shift else a['source']
                cells.append(a)
            if not any(d.startswith('exports') for d in dirs): continue
        tags = (['remove-input'] if any(d.replace(' ', '') == 'echo:false' for d in dirs) else []) + \
               (['remove-output'] if any(d.replace(' ', '') == 'output:false' for d in dirs) else [])
        if not code.strip() and not c.get('outputs'): continue
        meta = {}
        if _is_checks(code, c.get('outputs')):     # tests under the code they test: folded, one click away
            tags.append('hide-input'); meta['mystnb'] = dict(code_prompt_show='Show the checks', code_prompt_hide='Hide the checks')
        if tags: meta['tags'] = tags
        cells.append(dict(cell_type='code', metadata=meta, source=code, outputs=_outputs(c.get('outputs')), execution_count=None))
    return dict(nb, cells=cells, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python'),
                                               language_info=dict(name='python')))

def _with_links(nb:dict, proj, path:str) -> dict:
    "The page with its 'Open in Colab' and download links under its title."
    i = next((i for i, c in enumerate(nb['cells']) if c['cell_type'] == 'markdown'), -1)
    nb['cells'].insert(i + 1, _md(_open_links(proj, path)))
    return nb

def _title(nb) -> str:
    for c in nb['cells']:
        if c['cell_type'] == 'markdown':
            m = re.search(r'^#\s+(.+)$', _src(c), re.M)
            if m: return m.group(1).strip()
    return 'Untitled'

CONF = '''# generated by tools/build_docs.py
project = "model_constructor"
version = release = {version!r}
html_title = "model_constructor " + version
extensions = ["myst_nb", "ablog", "sphinx-mathjax-offline", "sphinx.ext.mathjax", "sphinx_copybutton"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "attrs_inline", "deflist"]
myst_heading_anchors = 4
nb_execution_mode = "off"                       # the notebooks as stored: their outputs and figures
nb_render_markdown_format = "myst"
nb_merge_streams = True
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.xref_missing", "misc.highlighting_failure", "mystnb.unknown_mime_type"]
html_theme = "sphinx_book_theme"
html_show_sphinx = False
html_show_copyright = False
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_js_files = ["site.js"]
html_theme_options = {{
    "repository_url": {repo!r}, "repository_branch": {branch!r}, "path_to_docs": "nbs",
    "use_repository_button": True, "use_download_button": False, "use_fullscreen_button": False,
    "show_navbar_depth": 1, "home_page_in_toc": True,
    "extra_footer": 'model_constructor ' + version + ' — <a href="{repo}">repository</a>',
    "footer_content_items": ["extra-footer"],
}}
blog_path = "posts/blog"
blog_title = "Posts"
blog_authors = {{"model_constructor": ("model_constructor contributors", {repo!r})}}
blog_default_author = "model_constructor"
blog_feed_archives = True
blog_feed_fulltext = False
blog_baseurl = "https://model-constructor.github.io/model_constructor/"
blog_post_pattern = []
post_date_format = "%Y-%m-%d"
post_show_prev_next = False
fontawesome_included = True
def setup(app):
    app.set_html_assets_policy("always")      # MathJax on every page: ABlog's listings show the posts' first paragraphs, math included
html_sidebars = {{"posts/**": ["navbar-logo.html", "search-button-field.html", "sbt-sidebar-nav.html", "ablog/postcard.html"]}}
'''

CSS = '''.source-link { float: right; font-size: smaller; }
/* pictures: never wider than the text, a click shows them at full size */
.cell_output img, article img { max-width: 100%; height: auto; cursor: zoom-in; }
#mc-zoom { position: fixed; inset: 0; z-index: 2000; background: rgba(0, 0, 0, .85); display: flex; align-items: center;
           justify-content: center; cursor: zoom-out; }
#mc-zoom img { max-width: 96vw; max-height: 96vh; background: white; }
/* wide tables: the full width of the text, scrolled sideways when wider, headers kept on one line */
article table { display: block; max-width: 100%; overflow-x: auto; font-size: .9em; }
article table th { white-space: nowrap; }
.cell_output .dataframe { font-size: .85em; }
table.fastai-log { border-collapse: collapse; font-size: .85em; margin: .5em 0; }
table.fastai-log th, table.fastai-log td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
'''

JS = '''// a click on a picture shows it at the window's size; a click or Escape closes it
document.addEventListener('click', function (e) {
  var open = document.getElementById('mc-zoom');
  if (open) { open.remove(); return; }
  var img = e.target.closest && e.target.closest('article img');
  if (!img || img.closest('a')) return;
  var box = document.createElement('div'); box.id = 'mc-zoom';
  var big = document.createElement('img'); big.src = img.src; big.alt = img.alt || '';
  box.appendChild(big); document.body.appendChild(box);
});
document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { var o = document.getElementById('mc-zoom'); if (o) o.remove(); } });
'''

_POST = re.compile(r'^```\{post\}', re.M)

def post_chapters() -> list:
    "Chapters (numbered notebooks) whose first markdown cell carries ABlog's `{post}` header: the study chapters, listed as posts too."
    out = []
    for p in sorted((ROOT/'nbs').glob('[0-9]*.ipynb')):
        md = [c for c in json.loads(p.read_text())['cells'] if c['cell_type'] == 'markdown']
        if md and _POST.search(_src(md[0])): out.append(p.stem)
    return out

def build(out='_site', quiet=True) -> Path:
    "Build the HTML site from nbs/ (notebooks as stored), benchmarks/README.md and leaderboard/README.md into `out`."
    proj = _project(); syms = _symbols(proj['lib'])
    stage = ROOT/'_build'/'site-src'
    if stage.exists(): shutil.rmtree(stage)
    (stage/'_static').mkdir(parents=True); (stage/'posts').mkdir()
    nbs = sorted(p for p in (ROOT/'nbs').glob('[0-9]*.ipynb'))
    chapters = []
    for p in nbs:
        nb = _with_links(convert(json.loads(p.read_text()), proj, syms, p.stem), proj, f'nbs/{p.name}')
        (stage/p.name).write_text(json.dumps(nb)); chapters.append(p.stem)
    guides = [p for p in (ROOT/'nbs'/'tutorial.ipynb',) if p.exists()]     # the getting-started tutorial: first in the navigation
    for p in guides:
        (stage/p.name).write_text(json.dumps(_with_links(convert(json.loads(p.read_text()), proj, syms, p.stem), proj, f'nbs/{p.name}')))
    posts = sorted((ROOT/'nbs'/'posts').glob('*.ipynb')) if (ROOT/'nbs'/'posts').exists() else []
    for p in posts:
        nb = _with_links(convert(json.loads(p.read_text()), proj, syms, f'posts/{p.stem}', depth=1), proj, f'nbs/posts/{p.name}')
        (stage/'posts'/p.name).write_text(json.dumps(nb))
    for f in (ROOT/'nbs'/'posts').glob('*') if posts else []:
        if f.suffix != '.ipynb' and f.is_file(): shutil.copy(f, stage/'posts'/f.name)      # pictures a post links
    (stage/'posts'/'index.md').write_text("# Posts\n\nExplanation posts and studies: each a notebook of this project, its pictures made by its own code "
                                          "on real photographs and recorded runs; a study's chapter is its post.\n\n"
                                          '<p><a href="blog/archive.html">Archive</a> · <a href="blog/tag.html">Tags</a> · '
                                          '<a href="blog/category.html">Categories</a> · <a href="blog/atom.xml">Atom feed</a></p>\n\n'
                                          "```{postlist}\n:date: \"%Y-%m-%d\"\n:excerpts:\n```\n")
    idx = convert(json.loads((ROOT/'nbs'/'index.ipynb').read_text()), proj, syms, 'index')
    toc = (("```{toctree}\n:caption: Get started\n:maxdepth: 1\n:hidden:\n\n" + '\n'.join(p.stem for p in guides) + "\n```\n\n" if guides else '') +
           "```{toctree}\n:caption: Chapters\n:maxdepth: 1\n:hidden:\n\n" + '\n'.join(chapters) + "\n```\n\n"
           "```{toctree}\n:caption: More\n:maxdepth: 1\n:hidden:\n\nposts/index\nbenchmarks\nleaderboard\nfrontier\nchangelog\n```\n")
    idx['cells'].append(_md(toc))
    (stage/'index.ipynb').write_text(json.dumps(idx))
    bench = (ROOT/'benchmarks'/'README.md').read_text()
    (stage/'benchmarks.md').write_text(_link_names(_rewrite_links(bench, proj, base='benchmarks/'), syms, 'benchmarks'))
    lb = ROOT/'leaderboard'
    lbmd = (lb/'README.md').read_text() if (lb/'README.md').exists() else '# Leaderboard\n'
    for png in lb.glob('*.png'): shutil.copy(png, stage/png.name)
    (stage/'leaderboard.md').write_text(_rewrite_links(lbmd, proj, base='leaderboard/'))
    if (lb/'frontier.md').exists(): (stage/'frontier.md').write_text(_rewrite_links((lb/'frontier.md').read_text(), proj, base='leaderboard/'))
    (stage/'changelog.md').write_text(_rewrite_links((ROOT/'CHANGELOG.md').read_text(), proj))
    (stage/'conf.py').write_text(CONF.format(**proj))
    (stage/'_static'/'site.css').write_text(CSS); (stage/'_static'/'site.js').write_text(JS)
    out = (ROOT/out) if not Path(out).is_absolute() else Path(out)
    if out.exists(): shutil.rmtree(out)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-E', str(stage), str(out)] + (['-q'] if quiet else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f"sphinx-build failed:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}")
    warns = [l for l in r.stderr.splitlines() if 'WARNING' in l]
    (ROOT/'_build'/'warnings.txt').write_text('\n'.join(warns) + ('\n' if warns else ''))   # tools/check_site.py --warnings fails on them
    if warns: print(f"{len(warns)} warning(s), e.g.:\n" + '\n'.join(warns[:15]), file=sys.stderr)
    return out

# ---- the install cell every notebook starts with (what "Open in Colab" needs) ----

_INSTALL_MARK = '# model_constructor install cell'

def install_cell(repo:str) -> str:
    "The first code cell of every notebook: installs the package where it is missing (Colab), from the repository; the runtime's torch stays."
    return ("#| hide\n" + _INSTALL_MARK + " (written by tools/build_docs.py from pyproject.toml: edit there)\n"
            "import importlib.util, subprocess, sys\n"
            "if importlib.util.find_spec('model_constructor') is None:   # e.g. in Colab: its CUDA torch is kept (the package asks for torch>=2.4)\n"
            f"    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'model_constructor @ git+{repo}'], check=True)")

def sync_install_cells() -> list:
    "Put the install cell (from the repository URL in pyproject.toml) first among the code cells of every notebook; returns the notebooks changed."
    from fastcore.nbio import read_nb
    repo, changed = _project()['repo'], []
    for p in sorted((ROOT/'nbs').glob('*.ipynb')) + sorted((ROOT/'nbs'/'posts').glob('*.ipynb')):
        nb = json.loads(p.read_text()); want = install_cell(repo)
        at = next((i for i, c in enumerate(nb['cells']) if c['cell_type'] == 'code' and _INSTALL_MARK in _src(c)), None)
        if at is not None and _src(nb['cells'][at]) == want: continue
        cell = dict(cell_type='code', execution_count=None, id='mc-install', metadata={}, outputs=[], source=want.splitlines(keepends=True))
        if at is not None: nb['cells'][at] = cell
        else:
            first_code = next((i for i, c in enumerate(nb['cells']) if c['cell_type'] == 'code'), len(nb['cells']))
            nb['cells'].insert(first_code, cell)
        p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n'); changed.append(p.name)
    return changed

def _open_links(proj, path:str) -> str:
    "'Open in Colab' and download links of a notebook of the repository (path relative to the repository)."
    gh = proj['repo'].split('github.com/', 1)[-1]
    return (f"[Open in Colab](https://colab.research.google.com/github/{gh}/blob/{proj['branch']}/{path}) · "
            f"[Download the notebook]({proj['repo']}/raw/{proj['branch']}/{path})")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--readme', action='store_true', help="only regenerate README.md from nbs/index.ipynb (and every notebook's install cell)")
    ap.add_argument('--out', default='_site', help='output folder of the site (default _site)')
    a = ap.parse_args()
    sync_install_cells()
    readme()
    if not a.readme: print('site:', build(a.out) / 'index.html')
