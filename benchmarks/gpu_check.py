"""One command that proves the GPU path, and writes what it found as Markdown.

    python benchmarks/gpu_check.py --out REPORT.md [--data IMAGEWOOF_FOLDER] [--budget 480]
    python benchmarks/gpu_check.py --small --out REPORT.md        # the same code on the CPU, small and quick (tested)

What it runs, in this order, each part only while the time budget lasts (default 8 minutes):
1. every conv operator and norm of the registries, forward and backward, on the device in fp32, fp16 and bf16
   autocast, against float64 on the CPU (relative error of the output, the input's gradient and the weights');
2. the precision `precision='auto'` picks on this device, what a leaderboard row would record, and how it was decided
   (compute capability; bf16 from 8.0);
3. the training step: fastai's xresnet50 with fastai's fp16 `MixedPrecision`, ours on `precision='auto'` through
   `mc_learner`, and the bare PyTorch loop in the same precision; then grouped (permuted groups), depthwise
   (dw6_resnet) and involution nets with channels-last on and off (cuDNN has slow channels-last paths for some
   grouped convolutions);
4. the cached loader's crop on the device: the antialiased crop of a batch (two batched matrix products) against the
   per-sample crop on the CPU (PIL's resize to a grey level), and images a second for it and for the plain
   `grid_sample` crop (`antialias=False`);
5. with `--data`, one Imagewoof 128 px / 5 epoch run with each loader (jpeg, cached), as the leaderboard trains it.
On a machine without fastai (the GPU image has PyTorch, torchvision and timm), install the wheels carried with the
checkout first (`benchmarks/gpu_carry.sh` prepares them)."""
import argparse, copy, json, math, os, platform, statistics, sys, time, traceback
from pathlib import Path
import torch
from torch import nn

T0 = time.time()

def left(budget): return budget - (time.time() - T0)

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def rel_err(a, b) -> float:
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return float((a - b).abs().max() / (b.abs().max() + 1e-12))

# ---- 1. operators and norms against float64 on the CPU ----
TOL = {'fp32': 2e-4, 'fp16': 3e-2, 'bf16': 8e-2}

def op_cases(c:int):
    "(name, module factory) for every conv operator and norm the registries hold."
    from model_constructor.layers import CONVS, NORMS, ConvLayer
    'x' in CONVS; 'x' in NORMS                      # the registries load their entries on first use
    cases = []
    for n in CONVS.names():
        if n == 'none': continue
        g = 4 if n in ('permuted', 'shuffle') else 1
        cases.append((f"conv {n}", lambda n=n, g=g: ConvLayer(c, c, 3, groups=g, conv=n, norm='none', act='none')))
    for n in NORMS.names():
        if n == 'none': continue
        cases.append((f"norm {n}", lambda n=n: ConvLayer(c, c, 3, conv='conv', norm=n, act='none')))
    return cases

def check_ops(dev, small:bool, budget:float) -> list:
    torch.backends.cudnn.allow_tf32 = False; torch.backends.cuda.matmul.allow_tf32 = False   # fp32 means fp32 here
    c, s, bs = (8, 8, 4) if small else (32, 16, 8)
    rows = []
    for name, make in op_cases(c):
        if left(budget) < 0: rows.append((name, 'skipped: out of time', '', '', '')); continue
        torch.manual_seed(0)
        try:
            ref = make().double().train()
            x = torch.randn(bs, c, s, s, dtype=torch.float64, requires_grad=True)
            w = torch.randn_like(ref(x))
            (ref(x) * w).sum().backward()
            out_ref = ref(x).detach(); gx_ref = x.grad.clone(); gp_ref = [p.grad.clone() for p in ref.parameters()]
            res = []
            for prec in ('fp32', 'fp16', 'bf16'):
                m = copy.deepcopy(ref).float().to(dev); m.zero_grad()
                xd = x.detach().float().to(dev).requires_grad_(True)
                dt = {'fp16': torch.float16, 'bf16': torch.bfloat16}.get(prec)
                try:
                    with torch.autocast(dev.type, dtype=dt, enabled=dt is not None):
                        y = m(xd)
                    (y.float() * w.float().to(dev)).sum().backward()
                    e = max([rel_err(y, out_ref), rel_err(xd.grad, gx_ref)] + [rel_err(p.grad, q) for p, q in zip(m.parameters(), gp_ref)])
                    res.append((prec, e))
                except Exception as ex: res.append((prec, f"{type(ex).__name__}: {str(ex).splitlines()[0][:80]}"))
            ok = all(isinstance(e, float) and e <= TOL[p] for p, e in res)
            rows.append((name, 'ok' if ok else 'FAIL', *[f"{e:.1e}" if isinstance(e, float) else e for _, e in res]))
        except Exception as ex:
            rows.append((name, f"FAIL: {type(ex).__name__}: {str(ex).splitlines()[0][:100]}", '', '', ''))
    return rows

# ---- 2. precision ----
def check_precision(dev) -> dict:
    from model_constructor.learner import precision_callbacks, gpu_precision, cpu_bf16_supported, learner_precision
    cbs = precision_callbacks('auto', dev)
    fake = type('L', (), dict(cbs=cbs, dls=type('D', (), dict(device=dev))()))()
    d = dict(device=str(dev), recorded=learner_precision(fake), callbacks=[type(c).__name__ for c in cbs])
    if dev.type == 'cuda':
        d.update(gpu=torch.cuda.get_device_name(dev), capability='.'.join(map(str, torch.cuda.get_device_capability(dev))),
                 picked=gpu_precision(dev), bf16_supported_incl_emulation=torch.cuda.is_bf16_supported())
    else: d.update(cpu_native_bf16=cpu_bf16_supported(), picked='bf16' if cpu_bf16_supported() else 'fp32')
    return d

# ---- 3. training steps ----
def random_dls(dev, size, bs, steps, n_out=10):
    from torch.utils.data import TensorDataset
    from fastai.data.core import DataLoaders
    x, y = torch.randn(bs * steps, 3, size, size), torch.randint(0, n_out, (bs * steps,))
    dls = DataLoaders.from_dsets(TensorDataset(x, y), TensorDataset(x[:bs], y[:bs]), bs=bs, device=dev, drop_last=True)
    dls.c = n_out
    return dls

def time_learner(learn, dev, steps:int) -> float:
    "Median seconds per training step over one epoch of `steps` batches, after a warm-up epoch."
    from fastai.callback.core import Callback
    class Steps(Callback):
        order = -1000
        def before_fit(self): self.t = []
        def before_batch(self):
            if self.training: sync(dev); self.t0 = time.perf_counter()
        def after_batch(self):
            if self.training: sync(dev); self.t.append(time.perf_counter() - self.t0)
    cb = Steps()
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, 1e-3)
        learn.fit(1, 1e-3, cbs=cb)
    return statistics.median(cb.t[1:] or cb.t)

def time_bare(model, dev, size, bs, steps, dtype, channels_last:bool) -> float:
    "Median seconds per step of a plain loop: SGD, cross-entropy, autocast in `dtype` (None: fp32)."
    model = model.to(dev)
    if channels_last: model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    scaler = torch.amp.GradScaler(dev.type, enabled=dtype == torch.float16 and dev.type == 'cuda')
    x, y = torch.randn(bs, 3, size, size, device=dev), torch.randint(0, 10, (bs,), device=dev)
    if channels_last: x = x.contiguous(memory_format=torch.channels_last)
    ts = []
    for i in range(steps + 2):
        sync(dev); t = time.perf_counter()
        with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
            loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True); scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
        sync(dev); ts.append(time.perf_counter() - t)
    return statistics.median(ts[2:])

def check_steps(dev, small:bool, budget:float) -> list:
    import fastai.vision.models.xresnet as fx
    from fastai.learner import Learner
    from fastai.callback.fp16 import MixedPrecision
    from fastai.losses import CrossEntropyLossFlat
    from model_constructor.zoo import create_model
    from model_constructor.learner import mc_learner, precision_callbacks, gpu_precision, cpu_bf16_supported
    size, bs, steps = (32, 8, 2) if small else (128, 128, 30)   # small: 2x2 px left before the head (at 16 px, BatchNorm over 1x1 maps of 8 images overflows bf16 gradients)
    fa_kw, mc_kw = (dict(widen=0.25), dict(widths=[8, 8, 8, 8], stem_sizes=[8, 8, 8])) if small else ({}, {})   # small: the same code, tiny nets
    prec = gpu_precision(dev) if dev.type == 'cuda' else ('bf16' if cpu_bf16_supported() else 'fp32')
    dt = {'fp16': torch.float16, 'bf16': torch.bfloat16}.get(prec)
    rows = []
    def add(name, f):
        if left(budget) < 60 and not small: rows.append((name, 'skipped: out of time', '')); return
        try: t = f(); rows.append((name, f"{t * 1000:.1f}", f"{bs / t:,.0f}"))
        except Exception as ex: rows.append((name, f"FAIL: {type(ex).__name__}: {str(ex).splitlines()[0][:100]}", ''))
    arch = 'xresnet18' if small else 'xresnet50'
    def fastai_fp16():
        torch.manual_seed(0)
        m = getattr(fx, arch)(n_out=10, **fa_kw)
        learn = Learner(random_dls(dev, size, bs, steps), m, loss_func=CrossEntropyLossFlat(),
                        cbs=[MixedPrecision()] if dev.type == 'cuda' else [])
        return time_learner(learn, dev, steps)
    add(f"fastai's {arch}, fastai's Learner, {'fp16 MixedPrecision' if dev.type == 'cuda' else 'fp32 (no fp16 on the CPU)'}", fastai_fp16)
    def ours_auto():
        torch.manual_seed(0)
        learn = mc_learner(random_dls(dev, size, bs, steps), create_model(arch, n_out=10, **mc_kw), precision='auto')
        return time_learner(learn, dev, steps)
    add(f"ours: create_model('{arch}') + mc_learner, precision='auto' ({prec}), Ranger", ours_auto)
    add(f"bare loop, fastai's {arch}, {prec} autocast, channels-last, SGD", lambda: time_bare(getattr(fx, arch)(n_out=10, **fa_kw), dev, size, bs, steps, dt, True))
    nets = [('permuted groups (xresnet18, conv=permuted, groups=4)', lambda: create_model('xresnet18', n_out=10, conv='permuted', groups=4, **mc_kw)),
            ('depthwise (dw6_resnet)', lambda: create_model('dw6_resnet', n_out=10, **({} if not small else dict(widths=[8, 8, 8, 8])))),
            ('involution (xresnet18, conv=involution, plain stem)', lambda: create_model('xresnet18', n_out=10, conv='involution', stem_conv='conv', **mc_kw))]
    for name, make in nets:
        for cl in (False, True):
            add(f"{name}, {prec}, channels-last {'on' if cl else 'off'} (bare loop)", lambda make=make, cl=cl: time_bare(make(), dev, size, bs, steps, dt, cl))
    return rows

# ---- 4. Imagewoof runs with each loader ----
def check_runs(dev, data:str, out:Path, budget:float, small:bool) -> list:
    from model_constructor.leaderboard import run_leaderboard
    rows = []
    for loader in ('cached', 'jpeg'):
        if left(budget) < 150 and not small: rows.append((loader, 'skipped: out of time')); continue
        r = dict(dataset='folder', data=data, size=128 if not small else 32, epochs=5 if not small else 1, bs=64 if not small else 8,
                 loader=loader, **({} if not small else dict(max_per_class=8)))
        try:
            row = run_leaderboard(r, {} if not small else dict(widths=[8, 8, 8, 8], stem_sizes=[8]), runs=1, out=out, quiet=True,
                                  command=f"gpu_check {loader}")
            rows.append((loader, f"{100 * float(row[0]['accuracy']):.2f} % in {float(row[0]['train_time_s']):.0f} s ({float(row[0]['images_per_s']):,.0f} img/s)" if row else 'already recorded'))
        except Exception as ex: rows.append((loader, f"FAIL: {type(ex).__name__}: {str(ex).splitlines()[0][:120]}"))
    return rows

# ---- 4. the cached loader's crop ----
def check_crop(dev, small:bool) -> list:
    "The antialiased crop of a batch on `dev` against the per-sample CPU crop (grey levels), and img/s of both crops on `dev`."
    from model_constructor.cached import crop_boxes, resize_crops, BatchRandomResizedCrop
    n, side, size, reps = (8, 60, 32, 2) if small else (256, 240, 128, 20)
    g = torch.Generator().manual_seed(0)
    hw = torch.tensor([[side * 2 // 3, side]] * n)
    x = torch.randint(0, 256, (n, side, side, 3), dtype=torch.uint8, generator=g)
    x = torch.nn.functional.avg_pool2d(x.permute(0, 3, 1, 2).float(), 3, 1, 1).round().byte().permute(0, 2, 3, 1).contiguous()   # texture, lightly smoothed
    boxes, flip = crop_boxes(hw, generator=g), torch.rand(n, generator=g) < 0.5
    ref = resize_crops(x, boxes, flip, size, batched=False)
    d = (resize_crops(x.to(dev), boxes, flip, size, batched=True).cpu() - ref).abs()
    rows = [('antialiased, batched on the device vs per sample on the CPU', f"max {d.max():.2f}, mean {d.mean():.3f} grey levels", 'ok' if d.max() <= 2 else 'FAIL')]
    xd = x.to(dev)
    for name, t in (('antialiased (default)', BatchRandomResizedCrop(size)), ('plain grid_sample (antialias=False)', BatchRandomResizedCrop(size, antialias=False))):
        t((xd, hw, None)); sync(dev)
        t0 = time.perf_counter()
        for _ in range(reps): t((xd, hw, None))
        sync(dev)
        rows.append((name, f"{n * reps / (time.perf_counter() - t0):,.0f} img/s at {size} px, batch {n}", 'ok'))
    return rows

def table(head, rows) -> list:
    return ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)] + ['| ' + ' | '.join(map(str, r)) + ' |' for r in rows]

def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--out', default='gpu_check.md'); p.add_argument('--small', action='store_true'); p.add_argument('--budget', type=float, default=480)
    p.add_argument('--data', default=None); p.add_argument('--runs-out', default=None)
    a = p.parse_args(argv)
    dev = torch.device('cuda' if torch.cuda.is_available() and not a.small else 'cpu')
    import model_constructor
    from model_constructor.training import machine, versions
    L = ['# GPU check' if dev.type == 'cuda' else '# GPU check (CPU small mode)', '',
         f"Machine: {machine()}; {versions()}; command: `python benchmarks/gpu_check.py {' '.join(argv if argv is not None else sys.argv[1:])}`.", '']
    def section(title, f, *args):
        try: return f(*args)
        except Exception as ex:
            L.extend([f"## {title}", '', f"FAILED: {type(ex).__name__}: {ex}", '', '```', traceback.format_exc()[-2000:], '```', '']); return None
    ops = section('Operators and norms', check_ops, dev, a.small, a.budget)
    if ops is not None:
        L += ['## Operators and norms against float64 on the CPU', '', f"Largest relative error over output, input gradient and weight gradients; tolerance {TOL}.", '']
        L += table(['module', 'verdict', 'fp32', 'fp16', 'bf16'], ops) + ['']
    pr = section('Precision', check_precision, dev)
    if pr is not None: L += ['## Precision', '', '```json', json.dumps(pr, indent=1), '```', '']
    st = section('Training steps', check_steps, dev, a.small, a.budget)
    if st is not None: L += ['## Training step', '', 'Median over the timed epoch, after a warm-up epoch; random images.', ''] + table(['configuration', 'ms / step', 'img/s'], st) + ['']
    cr = section('Cached loader crop', check_crop, dev, a.small)
    if cr is not None: L += ['## Cached loader crop', ''] + table(['check', 'result', 'verdict'], cr) + ['']
    if a.data:
        out = Path(a.runs_out or Path(a.out).parent/'gpu_check_runs')
        rr = section('Imagewoof runs', check_runs, dev, a.data, out, a.budget, a.small)
        if rr is not None: L += ['## Imagewoof ' + ('32 px, 1 epoch (small mode)' if a.small else '128 px, 5 epochs') + ', one run per loader', '', f"Rows in `{out}/runs.csv`.", ''] + table(['loader', 'result'], rr) + ['']
    L += [f"Total time: {time.time() - T0:.0f} s.", '']
    Path(a.out).write_text('\n'.join(L))
    print('\n'.join(L))
    return 0 if ops is not None and all(r[1] == 'ok' for r in ops) and cr is not None and all(r[2] == 'ok' for r in cr) else 1

if __name__ == '__main__': sys.exit(main())
