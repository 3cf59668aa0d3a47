"""One training step of the networks the CPU frontier considered (leaderboard/frontier.md), side by side in one run,
as ratios to the network of the CPU recipe `woof128_cpu_mild_crop_bs32` (xresnet18 + SiLU + self-attention + the ResNet
trick), timed in the same rounds.

    python benchmarks/cpu_networks.py [--bs 32] [--size 128] [--steps 5] [--rounds 3] [--only se,dw]

Each step is a forward pass, the loss, the backward pass and an SGD step, under `precision='auto'`'s arithmetic on a
CPU with bf16 (bf16 autocast + channels-last; fp32 where the CPU has no bf16), on random images (a step's time does
not depend on the pixels). Every network first runs two warm-up steps (allocations, oneDNN's kernel choice); then
`rounds` rounds each time `steps` steps of every network in turn, so all of them see the same drift of the machine's
speed. Printed: the median step over all rounds, and its ratio to the recipe's network's.

The record's depthwise network (`dw4_resnet`: bottlenecks whose 3x3 conv is depthwise with 4 outputs per channel) is
timed with SiLU and plain pools instead of its Mish and MaxBlurPool, which only make it slower: the rows are lower
bounds for the record's own network."""
import argparse, platform, statistics, time
import torch
from torch import nn
from model_constructor.zoo import xresnet18, dw4_resnet
from model_constructor.learner import cpu_bf16_supported

RECIPE = dict(act='silu', sa=True, resnet_trick=True, n_out=10)   # woof128_cpu_mild_crop_bs32's network
DW = dict(act='silu', stem_pool='max', id_pool='avg', n_out=10)    # dw4_resnet without Mish and MaxBlurPool
NETS = {   # label: (group for --only, function building the network)
    "the recipe's (xresnet18 + SiLU + SA in stage 0 + trick)": ('ref', lambda: xresnet18(**RECIPE)),
    '+ SE in every block (reduction 16)':                   ('se', lambda: xresnet18(**RECIPE, se=16)),
    '+ SE, without self-attention':                         ('se', lambda: xresnet18(**{**RECIPE, 'sa': False}, se=16)),
    '+ SE, self-attention in stage 1':                      ('se', lambda: xresnet18(**{**RECIPE, 'sa': 1}, se=16)),
    '+ SE, self-attention in stage 2':                      ('se', lambda: xresnet18(**{**RECIPE, 'sa': 2}, se=16)),
    'self-attention in stage 1, no SE':                     ('sa', lambda: xresnet18(**{**RECIPE, 'sa': 1})),
    'without self-attention':                               ('sa', lambda: xresnet18(**{**RECIPE, 'sa': False})),
    "the record's depthwise net, layers 3, 6, 8, 3":        ('dw', lambda: dw4_resnet(**DW)),
    'the same, layers 2, 2, 2, 2':                          ('dw', lambda: dw4_resnet(**DW, layers=[2, 2, 2, 2])),
    'the same, layers 1, 2, 2, 1':                          ('dw', lambda: dw4_resnet(**DW, layers=[1, 2, 2, 1])),
    'layers 2, 2, 2, 2, depthwise multiplier 2':            ('dw', lambda: dw4_resnet(**DW, layers=[2, 2, 2, 2], dw_mult=2)),
    'layers 2, 2, 2, 2 at half width':                      ('dw', lambda: dw4_resnet(**DW, layers=[2, 2, 2, 2], base_width=32)),
}

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--bs', type=int, default=32); p.add_argument('--size', type=int, default=128)
    p.add_argument('--steps', type=int, default=5); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--only', default='', help="comma-separated groups besides the reference: se, sa, dw (default: all)")
    a = p.parse_args()
    groups = {g for g in a.only.split(',') if g}
    bad = groups - {'se', 'sa', 'dw'}
    if bad: p.error(f"--only: unknown group(s) {', '.join(sorted(bad))}; valid groups: se, sa, dw.")
    bf16 = cpu_bf16_supported()
    torch.manual_seed(0)
    x = torch.randn(a.bs, 3, a.size, a.size).contiguous(memory_format=torch.channels_last if bf16 else torch.contiguous_format)
    y = torch.randint(0, 10, (a.bs,))
    nets = {}
    for label, (g, make) in NETS.items():
        if g != 'ref' and groups and g not in groups: continue
        m = make().train()
        if bf16: m = m.to(memory_format=torch.channels_last)
        nets[label] = (m, torch.optim.SGD(m.parameters(), lr=1e-3), sum(q.numel() for q in m.parameters()))
    def step(m, opt):
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16): loss = nn.functional.cross_entropy(m(x), y)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    for m, opt, _ in nets.values():
        for _ in range(2): step(m, opt)
    times = {k: [] for k in nets}
    for _ in range(a.rounds):
        for k, (m, opt, _) in nets.items():
            for _ in range(a.steps):
                t = time.perf_counter(); step(m, opt); times[k].append(time.perf_counter() - t)
    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"{'bf16 autocast + channels-last' if bf16 else 'fp32'}, batch {a.bs}, {a.size} px, {a.rounds} rounds x {a.steps} steps")
    ref = statistics.median(next(iter(times.values())))
    print(f"{'network':58s} {'params (M)':>10s} {'s / step':>9s} {'vs recipe':>9s}")
    for k, ts in times.items():
        s = statistics.median(ts)
        print(f"{k:58s} {nets[k][2] / 1e6:10.2f} {s:9.3f} {s / ref:8.2f}x")

if __name__ == '__main__': main()
