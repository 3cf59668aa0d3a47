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

class _Page(HTMLParser):
    def __init__(self):
        super().__init__(); self.refs, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) is not None: self.refs.append((tag, k, a[k], a.get('rel', '')))

def _parse(p:Path) -> _Page:
    pg = _Page(); pg.feed(p.read_text(errors='replace')); return pg

def check_links(site) -> list:
    "Problems found in the site's HTML (empty: every internal link resolves, nothing is loaded from outside)."
    site = Path(site); pages = {p: _parse(p) for p in site.rglob('*.html') if '_static' not in p.relative_to(site).parts}   # _static: theme templates, not pages
    problems = []
    for p, pg in pages.items():
        for tag, k, v, rel in pg.refs:
            u = urlparse(v)
            if u.scheme in ('http', 'https') or v.startswith('//'):
                if tag != 'a': problems.append(f"{p.relative_to(site)}: <{tag} {k}={v}> loads from outside the site")
                continue
            if u.scheme in ('mailto', 'data', 'javascript'): continue
            target = p if not u.path else (p.parent/unquote(u.path)).resolve()
            if u.path.endswith('/') or (target.exists() and target.is_dir()): target = target/'index.html'
            if not target.exists(): problems.append(f"{p.relative_to(site)}: {k}={v} -> no such file"); continue
            if u.fragment and target.suffix == '.html' and target in pages and unquote(u.fragment) not in pages[target].ids:
                problems.append(f"{p.relative_to(site)}: {v} -> no id {u.fragment!r} on {target.relative_to(site)}")
    return problems

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
                raw: ((m) => { m.querySelectorAll('pre, code, .highlight, script').forEach(e => e.remove()); const t = m.textContent; return t.includes('$$') || t.includes('\\\\(') || t.includes('\\\\['); })((document.querySelector('main') || document.body).cloneNode(true)),
                broken: Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src')),
                n_img: document.images.length,
                outside: performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin)),
                title: document.title};""")
            probs = []
            if pg in math_pages and not info['mjx']: probs.append('no typeset math (no mjx-container)')
            if info['raw']: probs.append('raw TeX ($$, \\( or \\[) left in the page: math not typeset')
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
    a = ap.parse_args()
    probs = check_links(a.site)
    print(f"links: {len(probs)} problem(s)"); print('\n'.join(probs[:50]))
    if a.browser:
        if chromium_paths() is None: sys.exit("Chromium or chromedriver not found (Debian: apt-get install chromium chromium-driver)")
        pages = ['index.html'] + sorted(str(p.relative_to(a.site)) for p in Path(a.site).glob('posts/*.html') if p.stem != 'index')
        for pg, r in check_browser(a.site, pages, a.shots).items(): print(pg, r['problems'] or 'ok', f"({r['n_img']} images, {r['mjx']} formulas)")
    sys.exit(1 if probs else 0)
