"""Check the built docs site as a reader would.

    python tools/check_site.py _site                      # links and offline check of every page (seconds, no browser)
    python tools/check_site.py _site --browser --shots _build/screenshots
                                                          # also open pages in headless Chromium (Debian's chromium +
                                                          # chromium-driver): math typeset, images loaded, nothing fetched
                                                          # from outside the site; screenshots into --shots

`check_links` reads every HTML page: each `href`/`src` must be a file of the site (and an `#anchor` an id on that
page) or a plain outbound link (`<a href="https://...">`); scripts, styles, images and fonts must be local (no CDN).
`check_browser` drives Chromium through Selenium (a well-kept library, with the driver Debian ships, so nothing is
downloaded) and asks the page itself: MathJax's `mjx-container` elements present and no raw `$$` left, every
`<img>` loaded (`naturalWidth > 0`), and every resource the page requested (`performance.getEntriesByType`) served by
the local server."""
import argparse, functools, http.server, re, shutil, sys, threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse, unquote

_SKIP_TEXT = ('pre', 'code', 'script', 'style', 'textarea')
_VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'}

class _Page(HTMLParser):
    "A page's links, ids, and its prose text (outside code, scripts and the math MathJax typesets)."
    def __init__(self):
        super().__init__(); self.refs, self.ids, self.text, self._stack = [], set(), [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) is not None: self.refs.append((tag, k, a[k], a.get('rel', '')))
        if tag not in _VOID: self._stack.append(tag in _SKIP_TEXT or 'math' in (a.get('class') or '').split())
    def handle_endtag(self, tag):
        if tag not in _VOID and self._stack: self._stack.pop()
    def handle_data(self, data):
        if not any(self._stack): self.text.append(data)

_RAW_TEX = re.compile(r'\$\$|\\\(|\\\[|\$')

def raw_tex(text:str) -> list:
    "TeX left as text in a page's prose (outside code and typeset math): `$$`, `\\(`, `\\[` or a `$` — math the converter did not recognise."
    return [text[max(m.start() - 30, 0):m.end() + 30].replace('\n', ' ') for m in _RAW_TEX.finditer(text)]

def _repo_url() -> str:
    "The package's repository URL (pyproject.toml's [project.urls] Repository): the one setting every repository link comes from."
    import tomllib
    return tomllib.loads((Path(__file__).resolve().parents[1]/'pyproject.toml').read_text())['project']['urls']['Repository'].rstrip('/')

def _parse(p:Path) -> _Page:
    pg = _Page(); pg.feed(p.read_text(errors='replace')); return pg

def check_links(site, repo:str|None=None, root=None) -> list:
    "Problems found in the site's HTML (empty: every internal link and anchor resolves, nothing is loaded from outside, repository links name files of the repository, no raw TeX in the prose)."
    site = Path(site).resolve(); repo = (repo or _repo_url()).rstrip('/'); root = Path(root or Path(__file__).resolve().parents[1])
    pages = {p: _parse(p) for p in site.rglob('*.html') if '_static' not in p.relative_to(site).parts}   # _static: theme templates, not pages
    problems = []
    for p, pg in pages.items():
        for tag, k, v, rel in pg.refs:
            u = urlparse(v)
            if u.scheme in ('http', 'https') or v.startswith('//'):
                if tag != 'a': problems.append(f"{p.relative_to(site)}: <{tag} {k}={v}> loads from outside the site")
                elif v.startswith(repo + '/'):   # a link into the repository: a file or folder that exists there, not a path climbing out
                    m = re.match(r'(?:blob|tree|edit|raw)/[^/]+/(.*)$', v[len(repo) + 1:].split('#')[0].split('?')[0])
                    if m:
                        rel = unquote(m.group(1))
                        if '..' in rel.split('/'): problems.append(f"{p.relative_to(site)}: {v} climbs out of the repository path (..)")
                        elif rel and not (root/rel).exists(): problems.append(f"{p.relative_to(site)}: {v} -> no {rel} in the repository")
                continue
            if u.scheme in ('mailto', 'data', 'javascript'): continue
            target = p if not u.path else (p.parent/unquote(u.path)).resolve()
            if u.path.endswith('/') or (target.exists() and target.is_dir()): target = target/'index.html'
            if not target.exists(): problems.append(f"{p.relative_to(site)}: {k}={v} -> no such file"); continue
            if u.fragment and target.suffix == '.html' and target in pages and unquote(u.fragment) not in pages[target].ids:
                problems.append(f"{p.relative_to(site)}: {v} -> no id {u.fragment!r} on {target.relative_to(site)}")
        tex = raw_tex(' '.join(pg.text))
        if tex: problems.append(f"{p.relative_to(site)}: raw TeX in the text (not typeset): {tex[:3]}")
    return problems

def site_pages(site) -> list:
    "Every page of the site a reader can open (paths relative to the site), the theme's own templates and the search page left out."
    site = Path(site)
    return sorted(str(p.relative_to(site)) for p in site.rglob('*.html')
                  if '_static' not in p.relative_to(site).parts and p.name not in ('search.html', 'genindex.html', 'py-modindex.html'))

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

def serve(site):
    "A local HTTP server of the site in a thread; returns (base URL, server)."
    h = functools.partial(_Quiet, directory=str(site))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}/", srv

def chromium_paths():
    "(chromium, chromedriver) paths, or None where either is missing."
    b = shutil.which('chromium') or shutil.which('chromium-browser'); d = shutil.which('chromedriver')
    return (b, d) if b and d else None

def check_browser(site, pages:list, shots=None, math_pages=()) -> dict:
    "Open `pages` (paths relative to the site) in headless Chromium; returns {page: [problems]}; screenshots into `shots`."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    b, d = chromium_paths()
    opts = webdriver.ChromeOptions(); opts.binary_location = b
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,1000'): opts.add_argument(a)
    base, srv = serve(site)
    drv = webdriver.Chrome(service=Service(d), options=opts)
    res = {}
    try:
        for pg in pages:
            drv.get(base + pg)
            drv.set_script_timeout(30)
            # wait for MathJax (if the page loads it) and for every image to finish loading
            drv.execute_async_script("""const done = arguments[arguments.length - 1];
                const imgs = Array.from(document.images).map(i => i.complete ? Promise.resolve() : new Promise(r => { i.onload = i.onerror = r; }));
                const mj = (window.MathJax && MathJax.startup && MathJax.startup.promise) ? MathJax.startup.promise : Promise.resolve();
                Promise.all([mj, ...imgs]).then(() => setTimeout(done, 300));""")
            info = drv.execute_script("""return {
                mjx: document.querySelectorAll('mjx-container').length,
                raw: ((m) => { m.querySelectorAll('pre, code, .highlight, script, mjx-container').forEach(e => e.remove()); const t = m.textContent; return t.includes('$') || t.includes('\\\\(') || t.includes('\\\\['); })((document.querySelector('main') || document.body).cloneNode(true)),
                broken: Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src')),
                n_img: document.images.length,
                outside: performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin)),
                title: document.title};""")
            probs = []
            if pg in math_pages and not info['mjx']: probs.append('no typeset math (no mjx-container)')
            if info['raw']: probs.append('raw TeX ($, \\( or \\[) left in the page: math not typeset')
            if info['broken']: probs.append(f"images not loaded: {info['broken'][:5]}")
            if info['outside']: probs.append(f"requests outside the site: {info['outside'][:5]}")
            res[pg] = dict(problems=probs, **info)
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                drv.save_screenshot(str(Path(shots)/(re.sub(r'[^\w.-]', '_', pg) + '.png')))
    finally:
        drv.quit(); srv.shutdown()
    return res

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('site', nargs='?', default='_site'); ap.add_argument('--browser', action='store_true'); ap.add_argument('--shots', default=None)
    ap.add_argument('--warnings', action='store_true', help="also fail on the docs build's warnings (_build/warnings.txt next to the site, written by tools/build_docs.py)")
    a = ap.parse_args()
    probs = check_links(a.site)
    print(f"links: {len(probs)} problem(s)"); print('\n'.join(probs[:50]))
    if a.browser:
        if chromium_paths() is None: sys.exit("Chromium or chromedriver not found (Debian: apt-get install chromium chromium-driver)")
        res = check_browser(a.site, site_pages(a.site), a.shots)   # every page: a formula broken on a chapter or study page counts too
        for pg, r in res.items(): print(pg, r['problems'] or 'ok', f"({r['n_img']} images, {r['mjx']} formulas)")
        probs += [f"{pg}: {x}" for pg, r in res.items() for x in r['problems']]
    warn = Path(a.site).parent/'_build'/'warnings.txt'
    if a.warnings and warn.exists() and warn.read_text().strip():
        w = warn.read_text().strip().splitlines(); probs += [f"build warning: {x}" for x in w]; print(f"build: {len(w)} warning(s)\n" + '\n'.join(w[:20]))
    sys.exit(1 if probs else 0)
