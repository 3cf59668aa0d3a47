"""torch.compile of a RedNet against a ResNet of the same depth: compile time of the first training step, and the step
time eager and compiled; plus the eager step of the involution written as a plain autograd Function (how it was
written before it became a custom op), side by side in one run.

    python benchmarks/compile.py [--bs 16] [--size 128] [--steps 5] [--rounds 2]

Each model: a training step is forward + backward + SGD update under bf16 autocast with channels-last (how this
project trains on CPU). "compile s" is the wall time of the first compiled step (tracing, lowering and code
generation included) minus one eager step. Eager steps are timed first, in interleaved rounds (best round kept),
before anything compiles: inductor's compile workers would otherwise share the cores with them.
"""
import os, time, platform, warnings
os.environ.setdefault('TORCHINDUCTOR_FORCE_DISABLE_CACHES', '1')   # a cold compile each time: no graph or kernel cache from an earlier run
import torch, torch.nn.functional as F
from fastcore.script import call_parse
warnings.filterwarnings('ignore')
from model_constructor.zoo import create_model
from model_constructor.constructor import ModelConstructor
import model_constructor.involution as inv

class _TapsFunction(torch.autograd.Function):
    "The involution as a plain autograd Function over the K*K taps: what torch.compile unrolls, tap by tap, in every layer."
    @staticmethod
    def forward(ctx, x, kernel, K, stride, dilation, padding):
        ctx.save_for_backward(x, kernel); ctx.conf = (K, stride, dilation, padding)
        return _taps_fwd(x, kernel, K, stride, dilation, padding)
    @staticmethod
    def backward(ctx, g):
        x, kernel = ctx.saved_tensors
        gx, gk = _taps_bwd(g, x, kernel, *ctx.conf, ctx.needs_input_grad[0], ctx.needs_input_grad[1])
        return gx, gk, None, None, None, None

def _taps_fwd(x, kernel, K, s, d, p):
    B, C, H, W = x.shape; G, h, w = kernel.shape[1], kernel.shape[-2], kernel.shape[-1]
    xg = F.pad(x, (p,) * 4).view(B, G, C // G, H + 2 * p, W + 2 * p); kg = kernel.view(B, G, 1, K * K, h, w)
    out = torch.zeros(B, G, C // G, h, w, dtype=torch.promote_types(x.dtype, torch.float32), device=x.device)
    for t, (su, sv) in inv._taps(K, d, s, h, w): out.addcmul_(kg[:, :, :, t], xg[..., su, sv])
    return out.view(B, C, h, w).to(x.dtype)

def _taps_bwd(g, x, kernel, K, s, d, p, nx, nk):
    return inv._involution_backward(g, x, kernel, K, s, d, p, nx, nk)   # the same arithmetic, called eagerly

def _step(model, opt, x, y):
    with torch.autocast('cpu', torch.bfloat16): loss = F.cross_entropy(model(x), y)
    loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)

def _time(f, n):
    t = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - t) / n

def _model(name):
    torch.manual_seed(0)
    m = create_model('rednet26', n_out=10) if name == 'rednet26' else \
        ModelConstructor(name='resnet26', block='bottleneck', expansion=4, layers=[2, 2, 2, 2], n_out=10).build()
    return m.to(memory_format=torch.channels_last).train()

@call_parse
def main(bs:int=16, size:int=128, steps:int=5, rounds:int=2):
    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}; batch {bs} at {size} px, bf16 autocast + channels-last")
    x = torch.randn(bs, 3, size, size).contiguous(memory_format=torch.channels_last); y = torch.randint(0, 10, (bs,))
    def with_function(f):   # run f with the involution as the plain autograd Function
        orig = inv._involution
        inv._involution = lambda x, k, K, s, d, p: _TapsFunction.apply(x, k, K, s, d, p)
        try: return f()
        finally: inv._involution = orig
    def eager(name):
        m = _model(name); opt = torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9)
        _step(m, opt, x, y)
        return _time(lambda: _step(m, opt, x, y), steps)
    times = {k: [] for k in ('resnet26', 'rednet26', 'function')}
    for _ in range(rounds):   # eager first, interleaved: compile workers must not share the cores with these timings
        times['resnet26'].append(eager('resnet26')); times['rednet26'].append(eager('rednet26'))
        times['function'].append(with_function(lambda: eager('rednet26')))
    e = {k: min(v) for k, v in times.items()}
    print('eager s/step (best of rounds):', {k: round(v, 3) for k, v in e.items()}, flush=True)
    rows = {}
    for name in ('resnet26', 'rednet26'):
        m = _model(name)
        torch._dynamo.reset()
        mc = torch.compile(m); optc = torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9)
        t = time.perf_counter(); _step(mc, optc, x, y); first = time.perf_counter() - t
        comp = _time(lambda: _step(mc, optc, x, y), steps)
        rows[name] = (first - e[name], e[name], comp)
        print(f"{name}: compile {first - e[name]:.1f} s, compiled {comp:.3f} s/step", flush=True)
    fn_eager = e['function']
    (rc, re_, rk), (nc, ne, nk) = rows['resnet26'], rows['rednet26']
    print('\n| model | compile s | vs ResNet-26 | eager s/step | compiled s/step |\n|---|---|---|---|---|')
    print(f"| ResNet-26 (bottleneck [2, 2, 2, 2]) | {rc:.1f} | 1.00x | {re_:.3f} | {rk:.3f} |")
    print(f"| RedNet-26, involution as a custom op | {nc:.1f} | {nc / rc:.2f}x | {ne:.3f} | {nk:.3f} |")
    print(f"| RedNet-26, involution as a plain autograd Function (eager only) | — | — | {fn_eager:.3f} (the custom op takes {ne / fn_eager:.2f}x this) | — |")
