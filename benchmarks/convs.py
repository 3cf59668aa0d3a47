"""The new conv operators against their reference implementations, side by side in one run.

    python benchmarks/convs.py            # CPU (and the GPU too when one is present)
    python benchmarks/convs.py --quick    # smaller shapes, for a smoke test

For each operator: forward+backward time (median of interleaved repeats, so both sides see the same machine
load) and the extra peak memory of one forward+backward, each new implementation next to its reference measured
in the same run, with the ratio. Peak memory: on CPU the growth of the process's resident memory during one
forward+backward (sampled every 0.5 ms, each measurement in a fresh subprocess, so no cached allocation hides it);
on GPU `torch.cuda.max_memory_allocated`.

    python benchmarks/convs.py --keep-heap   # glibc keeps freed memory: no page faults for fresh tensors

Each operator's timings run in a fresh process (as does each peak-memory measurement), so one case cannot leave the
heap in a state that changes the next one's page faults. By default it measures PyTorch on CPU as it trains (no
caching allocator: every large tensor is a fresh mmap and its page faults are part of the cost — most of the unfold
reference's, for one). `--keep-heap` re-executes itself with
glibc told to keep freed memory in the process (`MALLOC_MMAP_THRESHOLD_` etc.), which leaves the arithmetic: on this
VM the page-fault cost drifts (a plain grouped conv measured 20 ms with the heap kept and 60 ms without, minutes
apart). Peak memory is always measured with plain glibc. Each row also prints how much memory the step page-faulted in
(median): when two rows differ by a few milliseconds and by tens of MiB faulted, the difference is glibc's heap
layout at that moment, not the operator (the `--keep-heap` run shows the arithmetic).

Targets (issue 3): Twist fast path >= 2x faster than three convolutions (64->64, 32x32, batch 32); permuted groups
(4-cycles; the shuffle pattern, which still gathers, is shown for comparison) >= 4x faster than the dense-kernel
emulation and <= 1.3x a plain grouped conv (256 channels, 8 per group);
involution >= 2x faster and >= 4x less peak memory than unfold (batch 32, 64 channels, 56x56, K=7), and its ratio
to a 7x7 depthwise conv of the same shape."""
import os, sys, time, json, statistics, subprocess, platform
import torch
import torch.nn.functional as F

QUICK = '--quick' in sys.argv

def cases(dev):
    "name -> (setup() returning {impl: step_fn}) for each benchmark; shapes from the issue unless --quick."
    from model_constructor.twist import TwistConv, twist_reference
    from model_constructor.groups import PermutedGroupConv, dense_group_kernel
    from model_constructor.involution import involution_op, involution_unfold
    torch.manual_seed(0)
    B = 8 if QUICK else 32

    def twist():
        m = TwistConv(64, 64).to(dev)
        mf = TwistConv(64, 64, fuse=True).to(dev); mf.load_state_dict(m.state_dict())
        x = torch.randn(B, 64, 32, 32, device=dev, requires_grad=True)
        def step(f): return lambda: f().sum().backward()
        # The floor of this factorisation: only its convolutions (base 3x3, the two depthwise Sobel convs, the 1x1 mix
        # over 2C features), forward+backward at the fast path's shapes and layout, with no other pass and no layout copy.
        xc = x.detach().contiguous(memory_format=torch.channels_last).requires_grad_()
        fc = torch.randn(B, 128, 32, 32, device=dev).contiguous(memory_format=torch.channels_last).requires_grad_()
        wm, (dx, dy) = torch.randn(64, 128, 1, 1, device=dev, requires_grad=True), (m.sobel[i:i + 1].expand(64, 1, 3, 3) for i in (0, 1))
        def floor():
            y = F.conv2d(xc, m.weight, None, 1, 1) + F.conv2d(fc, wm)
            return y.sum() + F.conv2d(xc, dx, None, 1, 1, 1, 64).sum() + F.conv2d(xc, dy, None, 1, 1, 1, 64).sum()
        return {'fast (factored)': step(lambda: m(x)), 'reference (3 convs)': step(lambda: twist_reference(m, x)),
                'fast, fuse=True (torch.compile)': step(lambda: mf(x)), 'floor: its convs alone': step(floor)}

    def twist_seed():   # the forum's own default layer: 64 channels -> groups=2, groups permuted (it runs them as dense kernels)
        m = TwistConv(64, 64, groups=2, permute='cycle').to(dev)
        mf = TwistConv(64, 64, groups=2, permute='cycle', fuse=True).to(dev); mf.load_state_dict(m.state_dict())
        x = torch.randn(B, 64, 32, 32, device=dev, requires_grad=True)
        def step(f): return lambda: f().sum().backward()
        return {'fast (factored, grouped)': step(lambda: m(x)), 'forum layer (3 dense-kernel convs)': step(lambda: twist_reference(m, x)),
                'fast, fuse=True (torch.compile)': step(lambda: mf(x))}

    def twist_bf16():   # how this project trains on CPU: bf16 autocast, channels-last input; both sides under the same autocast
        m = TwistConv(64, 64).to(dev)
        mf = TwistConv(64, 64, fuse=True).to(dev); mf.load_state_dict(m.state_dict())
        x = torch.randn(B, 64, 32, 32, device=dev).contiguous(memory_format=torch.channels_last).requires_grad_()
        def step(f):
            def run():
                with torch.autocast(dev, dtype=torch.bfloat16): y = f()
                y.float().sum().backward()
            return run
        return {'fast (factored)': step(lambda: m(x)), 'reference (3 convs)': step(lambda: twist_reference(m, x)),
                'fast, fuse=True (torch.compile)': step(lambda: mf(x))}

    def groups():
        C, H = 256, (14 if QUICK else 28)
        Bg = 4 if QUICK else 16
        m = PermutedGroupConv(C, C, groups=C // 8, pattern='cycle4').to(dev)
        ms = PermutedGroupConv(C, C, groups=C // 8, pattern='shuffle').to(dev)
        plain = torch.nn.Conv2d(C, C, 3, padding=1, groups=C // 8, bias=False).to(dev)
        x = torch.randn(Bg, C, H, H, device=dev, requires_grad=True)
        def dense(): return F.conv2d(x, dense_group_kernel(m.weight, m.perm.index, m.groups, C), None, 1, 1)
        def step(f): return lambda: f().sum().backward()
        return {'permuted cycle4 (rotated wts)': step(lambda: m(x)), 'dense-kernel emulation': step(dense),
                'plain grouped conv': step(lambda: plain(x)), 'permuted shuffle (gather)': step(lambda: ms(x))}

    def involution():
        C, H, K, G = 64, (28 if QUICK else 56), 7, 4
        x = torch.randn(B, C, H, H, device=dev, requires_grad=True)
        k = torch.randn(B, G * K * K, H, H, device=dev, requires_grad=True)
        w = torch.randn(C, 1, K, K, device=dev, requires_grad=True)
        def step(f): return lambda: f().sum().backward()
        return {'involution (shifted views)': step(lambda: involution_op(x, k, K)), 'unfold reference': step(lambda: involution_unfold(x, k, K)),
                'depthwise 7x7 conv': step(lambda: F.conv2d(x, w, padding=3, groups=C))}
    return dict(twist=twist, twist_seed=twist_seed, twist_bf16=twist_bf16, groups=groups, involution=involution)

def sync(dev):
    if dev == 'cuda': torch.cuda.synchronize()

def _faults():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

def timings(dev, name, reps, faults=None):
    "Median ms of each implementation; `faults`, a dict, gets each one's median minor page faults per step."
    fns = cases(dev)[name]()
    for f in fns.values(): f(); sync(dev)
    ts, pf = {k: [] for k in fns}, {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            sync(dev); f0 = _faults(); t = time.perf_counter(); f(); sync(dev)
            ts[k].append(time.perf_counter() - t); pf[k].append(_faults() - f0)
    if faults is not None: faults.update({k: statistics.median(v) for k, v in pf.items()})
    return {k: statistics.median(v) * 1e3 for k, v in ts.items()}

def peak_child(dev, name, impl):
    "Run in a subprocess: extra peak memory (MiB) of one forward+backward of `impl`."
    import os, threading
    f = cases(dev)[name]()[impl]
    if 'torch.compile' in impl:   # compile first (its own memory is not the operator's), then hand cached memory back
        import gc, ctypes; f(); gc.collect()
        if dev == 'cpu': ctypes.CDLL('libc.so.6').malloc_trim(0)
    if dev == 'cuda':
        torch.cuda.synchronize(); base = torch.cuda.memory_allocated(); torch.cuda.reset_peak_memory_stats()
        f(); torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    page = os.sysconf('SC_PAGE_SIZE')
    def rss():
        with open('/proc/self/statm') as fh: return int(fh.read().split()[1]) * page
    base, peak_, done = rss(), [0], threading.Event()
    def watch():
        while not done.is_set(): peak_[0] = max(peak_[0], rss()); done.wait(0.0005)
    t = threading.Thread(target=watch); t.start()
    try: f()
    finally: done.set(); t.join()
    return (max(peak_[0], rss()) - base) / 2**20

def peak(dev, name, impl):
    code = f"import sys; sys.argv += {sys.argv[1:]!r}; import benchmarks.convs as b; print(b.peak_child({dev!r}, {name!r}, {impl!r}))"
    env = {k: v for k, v in os.environ.items() if not k.startswith('MALLOC_')}   # plain glibc: resident growth is the real need
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])

def timed_child(dev, name, reps):
    "`timings` in a fresh process, so no earlier case leaves glibc's heap (and its page-fault behaviour) in another state."
    code = (f"import sys, json; sys.argv += {sys.argv[1:]!r}; import benchmarks.convs as b; pf = {{}}; "
            f"ms = b.timings({dev!r}, {name!r}, {reps}, faults=pf); print(json.dumps([ms, pf]))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])

_KEEP_HEAP = {'MALLOC_MMAP_THRESHOLD_': '4000000000', 'MALLOC_TRIM_THRESHOLD_': '4000000000', 'MALLOC_TOP_PAD_': '1000000000'}

def main():
    if '--keep-heap' in sys.argv and not all(k in os.environ for k in _KEEP_HEAP):   # re-exec with glibc told to keep freed memory
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **_KEEP_HEAP})
    devs = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    t0 = time.time()
    print(f"torch {torch.__version__}; CPU: {platform.machine()}, {torch.get_num_threads()} threads"
          + (f"; GPU: {torch.cuda.get_device_name()}" if 'cuda' in devs else '') + (' (--quick shapes)' if QUICK else ''))
    results = {}
    for dev in devs:
        for name in ('twist', 'twist_seed', 'twist_bf16', 'groups', 'involution'):
            ms, pf = timed_child(dev, name, reps=(21 if dev == 'cpu' else 20) if name != 'involution' or dev != 'cpu' else 3)
            mem = {k: peak(dev, name, k) for k in ms}
            ref = list(ms)[1]
            print(f"\n[{dev}] {name}: forward+backward, ratio = reference time / this time (higher is faster)")
            for k in ms:
                print(f"  {k:30s} {ms[k]:9.2f} ms  x{ms[ref] / ms[k]:6.2f}   peak +{mem[k]:8.1f} MiB  (reference / this: x{mem[ref] / max(mem[k], 1e-3):6.1f})"
                      f"  {pf[k] * os.sysconf('SC_PAGE_SIZE') / 2**20:6.1f} MiB page-faulted/step")
            results[f'{dev}/{name}'] = dict(ms=ms, peak_mib=mem)
    r = results
    print('\nTargets (cpu):')
    tw, ts = r['cpu/twist']['ms'], r['cpu/twist_seed']['ms']
    print(f"  Twist fast path {tw['reference (3 convs)'] / tw['fast (factored)']:.2f}x faster than three convs (target >= 2); "
          f"{ts['forum layer (3 dense-kernel convs)'] / ts['fast (factored, grouped)']:.2f}x faster than the forum thread's own layer (groups=2, permuted); "
          f"with fuse=True {tw['reference (3 convs)'] / tw['fast, fuse=True (torch.compile)']:.2f}x and {ts['forum layer (3 dense-kernel convs)'] / ts['fast, fuse=True (torch.compile)']:.2f}x")
    print(f"    ceiling of the factorisation here: the reference / its convolutions alone = {tw['reference (3 convs)'] / tw['floor: its convs alone']:.2f}x "
          f"(the most the factored step can reach in this run unless its convolutions themselves get faster)")
    tb = r['cpu/twist_bf16']['ms']
    print(f"  Twist under bf16 autocast + channels-last (how this project trains on CPU): {tb['reference (3 convs)'] / tb['fast (factored)']:.2f}x, "
          f"with fuse=True {tb['reference (3 convs)'] / tb['fast, fuse=True (torch.compile)']:.2f}x")
    g = r['cpu/groups']['ms']
    pg = g['permuted cycle4 (rotated wts)']
    print(f"  Permuted groups (cycle4) {g['dense-kernel emulation'] / pg:.2f}x faster than the dense emulation (target >= 4), "
          f"{pg / g['plain grouped conv']:.2f}x a plain grouped conv (target <= 1.3); the shuffle pattern (gather) "
          f"{g['permuted shuffle (gather)'] / g['plain grouped conv']:.2f}x")
    i, im = r['cpu/involution']['ms'], r['cpu/involution']['peak_mib']
    print(f"  Involution {i['unfold reference'] / i['involution (shifted views)']:.2f}x faster (target >= 2), "
          f"{im['unfold reference'] / im['involution (shifted views)']:.1f}x less peak memory (target >= 4) than unfold; "
          f"{i['involution (shifted views)'] / i['depthwise 7x7 conv']:.2f}x the time of a 7x7 depthwise conv")
    print(f"\ntotal {time.time() - t0:.0f} s")
    return results

if __name__ == '__main__': main()
