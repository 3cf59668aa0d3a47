"""Build the docs site (HTML, offline) from the notebooks, and README.md from nbs/index.ipynb.

    pip install -e ".[docs]"
    python tools/build_docs.py              # the site in _site/ from the notebooks as stored (no execution): about a minute
    python tools/build_docs.py --readme     # only README.md from nbs/index.ipynb's stored cells and outputs (CI checks it)

Quarto, which `nbdev-docs` drives, downloads its binary at install time and cannot be installed offline; this builds
the same pages with Sphinx + myst-nb (notebooks with their stored outputs) + sphinx-book-theme, ABlog for the posts,
and MathJax from the local `sphinx-mathjax-offline` package (Sphinx's default MathJax comes from a CDN). nbdev's cell
directives are translated the way nbdev's own processors treat them: `#| hide` and `#| default_exp` cells are left
out, `#| export` cells are replaced by nbdev's `show_doc` entry of each public name they define (signature, docstring,
a link to the line of the generated module), `#| echo: false` hides the source and `#| output: false` the output;
backticked names of the package link to their entries. Hand-written because nbdev's processors emit Quarto markdown
and Sphinx has no notion of nbdev's directives."""
import argparse, ast, base64, importlib, inspect, json, os, re, shutil, subprocess, sys, tomllib
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

def _api_cells(code:str, mod, proj, syms) -> list:
    "nbdev's show_doc entry for each public top-level name the exported cell defines, with a working source link."
    from nbdev.showdoc import show_doc
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
        md = show_doc(obj, name=n)._repr_markdown_()
        try:
            f = Path(inspect.getsourcefile(obj)).resolve().relative_to(ROOT); line = inspect.getsourcelines(obj)[1]
            src = f"{proj['repo']}/blob/{proj['branch']}/{f}#L{line}"
        except (TypeError, OSError, ValueError): src = None
        md = re.sub(r'\[source\]\([^)]*\)\{[^}]*\}\n*', '', md)
        md = md.replace(f'### {n}', f'### {n}' + (f'\n\n<a class="source-link" href="{src}">source</a>' if src else ''), 1)
        meths = [(k, v) for k, v in vars(obj).items() if inspect.isclass(obj) and inspect.isfunction(v) and not k.startswith('_') and v.__doc__]
        for k, v in meths:
            m = show_doc(v, name=f'{n}.{k}')._repr_markdown_()
            md += '\n\n' + re.sub(r'\[source\]\([^)]*\)\{[^}]*\}\n*', '', m).replace(f'### {n}.{k}', f'#### {n}.{k}', 1).replace('---\n', '', 1)
        cells.append(_md(_link_names(md.replace('---\n', '', 1), syms, '')))
    return cells

def _short_repr(o) -> str:
    r = repr(o)
    return r if len(r) <= 120 else r[:117] + '...'

def _md(s): return dict(cell_type='markdown', metadata={}, source=s)

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
        cells.append(dict(cell_type='code', metadata=dict(tags=tags) if tags else {}, source=code, outputs=c.get('outputs', []), execution_count=None))
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
    toc = ("```{toctree}\n:caption: Chapters\n:maxdepth: 1\n:hidden:\n\n" + '\n'.join(chapters) + "\n```\n\n"
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
    (stage/'_static'/'site.css').write_text(CSS)
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
