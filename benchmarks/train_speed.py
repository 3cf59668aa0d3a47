"""Training speed by precision, side by side in one run: fastai's default (fp32, NCHW) vs this project's
`precision='auto'` (on a CPU with bf16: bf16 autocast + channels_last), same architecture, same data; and the same with SGD
(the bare loop's optimizer), which separates the framework's cost from the recipe's optimizer (Ranger).

    python benchmarks/train_speed.py [--arch xresnet50] [--size 128] [--bs 32] [--steps 6] [--rounds 3] [--act mish] [--sa] [--no-ceiling] [--framework-rows]

`--act` and `--sa` build both sides' models with that activation and self-attention (fastai's `act_cls`/`sa`, our
`act`/`sa`): `--arch xresnet18 --size 64 --bs 64 --act mish --sa` is the peer cell of `benchmarks/peer.py`, per step.

Data: random images (the speed of a training step does not depend on the pixels). Each configuration first runs a
warm-up epoch (allocations, oneDNN kernel choice, and for `compile=True` the compile, whose time is printed); then
`rounds` rounds each run one timed epoch of `steps` batches through fastai's `Learner.fit` for every configuration in
turn, so all of them see the same drift of the machine's speed (on this VM it moves by tens of percent within
minutes). Two figures, each with its ratio to fastai's default measured in the same run:
- s/step: the median training step over all rounds (forward, loss, backward, optimiser step, callbacks —
  `before_batch` to `after_batch`, each epoch's first batch left out) — the training throughput a long run sees;
- s/batch: the median over rounds of the whole timed epoch divided by `steps`, so it also carries the per-epoch
  work (validation pass, callbacks' epoch hooks), which a 6-step epoch exaggerates and a real epoch (Imagewoof at
  bs 32: 282 steps) amortises.

The last three rows are the ceiling for this model on this machine, timed in the same rounds: a plain PyTorch loop
over the same batches (fastai's xresnet with torch's own fused BatchNorm, SGD, no Learner, no callbacks) in fp32, in
bf16 autocast + channels-last, and that compiled — what any recipe could at best get from the precision here."""
import argparse, time, platform, statistics
import torch
from torch import nn
from torch.utils.data import TensorDataset
from fastai.data.core import DataLoaders
from fastai.learner import Learner
from fastai.callback.core import Callback
from fastai.optimizer import ranger
import fastai.vision.models.xresnet as fx
from model_constructor.zoo import create_model
from model_constructor.learner import mc_learner, cpu_bf16_supported

def dls_for(size, bs, steps):
    x, y = torch.randn(bs * steps, 3, size, size), torch.randint(0, 10, (bs * steps,))
    return DataLoaders.from_dsets(TensorDataset(x, y), TensorDataset(x[:bs], y[:bs]), bs=bs, device='cpu', drop_last=True)

class StepTimer(Callback):
    "Wall time of each training batch, `before_batch` to `after_batch` (runs first and last around everything else)."
    order = -1000
    def before_fit(self): self.times = []
    def before_batch(self):
        if self.training: self.t0 = time.perf_counter()
    def after_batch(self):
        if self.training: self.times.append(time.perf_counter() - self.t0)

def warm_up(learn):
    "One epoch that pays the one-off costs; returns its wall time."
    learn.add_cb(StepTimer())
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    return time.perf_counter() - t

def timed_epoch(learn, steps):
    "(training-step times of one epoch after its first batch, s/batch of the whole epoch)."
    with learn.no_bar(), learn.no_logging():
        t = time.perf_counter(); learn.fit(1, 1e-3); dt = time.perf_counter() - t
    return learn.step_timer.times[1:], dt / steps

ACTS = {'relu': nn.ReLU, 'mish': nn.Mish, 'silu': nn.SiLU}
def fastai_model(a):
    "fastai's xresnet for the parsed options (its `act_cls`, `sa`)."
    return getattr(fx, a.arch)(n_out=10, act_cls=ACTS[a.act], sa=a.sa)
def our_model(a):
    "Our preset for the parsed options (`act`, `sa`)."
    return create_model(a.arch, n_out=10, act=a.act, sa=a.sa)

class BareLoop:
    "The hardware's ceiling for this model: a plain PyTorch loop (fastai's xresnet with torch's BatchNorm, SGD, no Learner)."
    def __init__(self, a, dls, bf16:bool, compile:bool=False):
        self.model = fastai_model(a)
        self.bf16, self.batches = bf16, list(dls.train)
        if bf16: self.model = self.model.to(memory_format=torch.channels_last)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=1e-3, momentum=0.9)
        self.fwd = torch.compile(self.model) if compile else self.model
    def epoch(self):
        times = []
        for xb, yb in self.batches:
            t = time.perf_counter()
            if self.bf16: xb = xb.contiguous(memory_format=torch.channels_last)
            with torch.autocast('cpu', dtype=torch.bfloat16, enabled=self.bf16): loss = nn.functional.cross_entropy(self.fwd(xb), yb)
            loss.backward(); self.opt.step(); self.opt.zero_grad()
            times.append(time.perf_counter() - t)
        return times

def step_parser():
    "The options every step benchmark shares: model, batch, and how many interleaved rounds of timed steps."
    p = argparse.ArgumentParser(); p.add_argument('--arch', default='xresnet50'); p.add_argument('--size', type=int, default=128)
    p.add_argument('--bs', type=int, default=32); p.add_argument('--steps', type=int, default=6); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--act', default='relu', choices=sorted(ACTS), help="both sides' activation")
    p.add_argument('--sa', action='store_true', help='self-attention in the last block of the third stage, both sides')
    return p

def main():
    p = step_parser()
    p.add_argument('--no-ceiling', action='store_true', help='leave out the bare-loop rows')
    p.add_argument('--framework-rows', action='store_true', help="add ours with the bare loop's recipe (SGD, no clipping), eager and compiled")
    a = p.parse_args()
    dls = dls_for(a.size, a.bs, a.steps)
    print(f"torch {torch.__version__}, {platform.machine()}, {torch.get_num_threads()} threads, CPU bf16: {cpu_bf16_supported()}; "
          f"{a.arch} (act {a.act}, sa {a.sa}), batch {a.bs} at {a.size} px, {a.rounds} rounds of {a.steps} timed steps per configuration (+ warm-up)")
    torch.manual_seed(0)
    ref = "fastai default (fastai's xresnet, fp32)"
    learners = {ref: Learner(dls, fastai_model(a), loss_func=nn.CrossEntropyLoss(), opt_func=ranger),
                'ours, fp32': mc_learner(dls, our_model(a), precision='fp32', metrics=[]),
                "ours, precision='auto'": mc_learner(dls, our_model(a), precision='auto', metrics=[]),
                "ours, precision='auto', opt='sgd'": mc_learner(dls, our_model(a), precision='auto', metrics=[], opt='sgd', mom=0.9),
                "ours, precision='auto', compile=True": mc_learner(dls, our_model(a), precision='auto', metrics=[], compile=True)}
    if a.framework_rows:   # the bare loop's recipe (SGD, no clipping; fastai's weight decay stays) through our Learner: the framework's own cost
        learners["ours, 'auto', sgd, no clip"] = mc_learner(dls, our_model(a), precision='auto', metrics=[], opt='sgd', mom=0.9, clip=None)
        learners["ours, 'auto', sgd, no clip, compiled"] = mc_learner(dls, our_model(a), precision='auto', metrics=[], opt='sgd', mom=0.9, clip=None, compile=True)
    bare = {} if a.no_ceiling else {'bare loop, fp32': BareLoop(a, dls, False), 'bare loop, bf16 + channels_last': BareLoop(a, dls, True),
                                    'bare loop, bf16 + channels_last, compiled': BareLoop(a, dls, True, compile=True)}
    for k, learn in learners.items(): print(f"  warm-up epoch {k:42s} {warm_up(learn):6.1f} s")
    for k, b in bare.items(): t = time.perf_counter(); b.epoch(); print(f"  warm-up epoch {k:42s} {time.perf_counter() - t:6.1f} s")
    runs = {**{k: (lambda l=l: timed_epoch(l, a.steps)) for k, l in learners.items()},
            **{k: (lambda b=b: (lambda ts: (ts[1:], sum(ts) / len(ts)))(b.epoch())) for k, b in bare.items()}}
    steps, epochs = {k: [] for k in runs}, {k: [] for k in runs}
    for r in range(a.rounds):
        for k, run in runs.items():
            st, ep = run(); steps[k] += st; epochs[k].append(ep)
    res = {k: (statistics.median(steps[k]), statistics.median(epochs[k])) for k in runs}
    print(f"  {'':42s} {'training step (median)':>34s}   {'whole epoch / steps':>24s}")
    for k, (st, ep) in res.items():
        if k == 'bare loop, fp32': print("  the ceiling (no fastai, torch's BatchNorm, SGD; 'epoch' = its training steps only):")
        print(f"  {k:42s} {st:6.2f} s/step {a.bs / st:6.1f} img/s  x{res[ref][0] / st:5.2f}   {ep:6.2f} s/batch  x{res[ref][1] / ep:5.2f}")
    from torch._dynamo.utils import counters
    print(f"  torch.compile over the whole run: {dict(counters['stats'])} (graph recompiles show as extra unique_graphs)")
    print("  per round, s/step (median of the round's steps):")
    n = a.steps - 1
    for k in runs: print(f"    {k:42s} " + ' '.join(f"{statistics.median(steps[k][i * n:(i + 1) * n]):5.2f}" for i in range(a.rounds)))
    return res

if __name__ == '__main__': main()
