"""Speed of every norm scheme (torch's fused layers, the hand-written `own_*` ones, Batch-Instance Norm) against torch's
`nn.BatchNorm2d`, forward + backward, side by side in one run.

    python benchmarks/norms.py [--quick]

Prints per layer and setting: milliseconds per forward+backward (median of repeats) and the ratio to
torch's `nn.BatchNorm2d` measured in the same run, in fp32 and in bf16 autocast + channels_last (the precision
this project trains with on CPUs that support bf16), plus a whole xresnet18 training step with each norm."""
import sys, time, statistics, platform
import torch
from torch import nn
from model_constructor.all import *

def bench(f, reps=15, warm=3):
    for _ in range(warm): f()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3

def layer_step(layer, x):
    def f():
        x.grad = None
        y = layer(x); y.float().sum().backward()
    return f

def main(quick=False):
    torch.manual_seed(0)
    shape = (32, 64, 56, 56) if not quick else (16, 64, 28, 28)
    names = ('batch', 'own_batch', 'batch_instance', 'instance', 'own_instance', 'layer', 'own_layer', 'group', 'own_group')
    layers = {n: (lambda n=n: NORMS.get(n)(64)) for n in names}
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads; input {shape}")
    for prec in ('fp32', 'bf16+channels_last'):
        x = torch.randn(shape)
        if prec != 'fp32': x = x.to(memory_format=torch.channels_last)
        x.requires_grad_()
        res = {}
        for name, mk in layers.items():
            layer = mk().train()
            if prec == 'fp32': res[name] = bench(layer_step(layer, x))
            else:
                with torch.autocast('cpu', dtype=torch.bfloat16): res[name] = bench(layer_step(layer, x.to(torch.bfloat16).detach().requires_grad_()))
        ref = res['batch']
        print(f"\n{prec}: forward+backward ms (ratio to nn.BatchNorm2d)")
        for k, v in res.items(): print(f"  {k:15s} {v:8.2f} ms  {v/ref:5.2f}x")
    # whole network step
    size, bs = (64, 32) if quick else (128, 32)
    xb, yb = torch.randn(bs, 3, size, size), torch.randint(0, 10, (bs,))
    print(f"\nxresnet18 training step, batch {bs} at {size} px, fp32 (ratio to norm='batch', torch's BatchNorm2d)")
    res = {}
    for norm in ('batch', 'own_batch', 'batch_instance', 'group'):
        m = xresnet18(n_out=10, norm=norm).train()
        opt = torch.optim.SGD(m.parameters(), lr=0.01)
        def step():
            opt.zero_grad(); nn.functional.cross_entropy(m(xb), yb).backward(); opt.step()
        res[norm] = bench(step, reps=5 if quick else 7, warm=2)
    for k, v in res.items(): print(f"  {k:15s} {v:8.1f} ms  {v/res['batch']:5.2f}x")

if __name__ == '__main__': main('--quick' in sys.argv)
