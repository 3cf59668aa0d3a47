"""Training speed by precision, side by side in one run: fastai's default (fp32, NCHW) vs this project's
`precision='auto'` (on a CPU with bf16: bf16 autocast + channels_last), same architecture, same data.

    python benchmarks/train_speed.py [--arch xresnet50] [--size 128] [--bs 32] [--steps 6]

`compile=True` rows: the warm-up epoch pays the compile (printed separately), the timed epoch is compiled code.

Data: random images (the speed of a training step does not depend on the pixels). Each configuration runs one
warm-up epoch, then a timed epoch of `steps` batches through fastai's `Learner.fit`. Two figures, each with its ratio
to fastai's default measured in the same run:
- s/step: the median training step (forward, loss, backward, optimiser step, callbacks — `before_batch` to
  `after_batch`, the epoch's first batch left out) — the training throughput a long run sees;
- s/batch: the whole timed epoch divided by `steps`, so it also carries the per-epoch work (validation pass,
  callbacks' epoch hooks), which a 6-step epoch exaggerates and a real epoch (Imagewoof at bs 32: 282 steps)
  amortises."""
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

def time_fit(learn, steps):
    "(median s/step of the timed epoch's training batches after the first, s/batch of the whole timed epoch)."
    learn.add_cb(StepTimer())
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, 1e-3)                    # warm-up (allocations, oneDNN kernel selection, compile)
        t = time.perf_counter(); learn.fit(1, 1e-3); dt = time.perf_counter() - t
    return statistics.median(learn.step_timer.times[1:]), dt / steps

def main():
    p = argparse.ArgumentParser(); p.add_argument('--arch', default='xresnet50'); p.add_argument('--size', type=int, default=128)
    p.add_argument('--bs', type=int, default=32); p.add_argument('--steps', type=int, default=6); a = p.parse_args()
    dls = dls_for(a.size, a.bs, a.steps)
    print(f"torch {torch.__version__}, {platform.machine()}, {torch.get_num_threads()} threads, CPU bf16: {cpu_bf16_supported()}; "
          f"{a.arch}, batch {a.bs} at {a.size} px, {a.steps} timed steps (+ warm-up)")
    res = {}
    torch.manual_seed(0)
    res["fastai default (fastai's xresnet, fp32)"] = time_fit(Learner(dls, getattr(fx, a.arch)(n_out=10), loss_func=nn.CrossEntropyLoss(), opt_func=ranger), a.steps)
    res['ours, fp32'] = time_fit(mc_learner(dls, create_model(a.arch, n_out=10), precision='fp32', metrics=[]), a.steps)
    res["ours, precision='auto'"] = time_fit(mc_learner(dls, create_model(a.arch, n_out=10), precision='auto', metrics=[]), a.steps)
    t = time.perf_counter()
    res["ours, precision='auto', compile=True"] = time_fit(mc_learner(dls, create_model(a.arch, n_out=10), precision='auto', metrics=[], compile=True), a.steps)
    print(f"  (compile=True: warm-up epoch + timed epoch took {time.perf_counter() - t:.0f} s in all, the compile included)")
    ref = res["fastai default (fastai's xresnet, fp32)"]
    print(f"  {'':42s} {'training step (median)':>34s}   {'whole epoch / steps':>24s}")
    for k, (st, ep) in res.items():
        print(f"  {k:42s} {st:6.2f} s/step {a.bs / st:6.1f} img/s  x{ref[0] / st:5.2f}   {ep:6.2f} s/batch  x{ref[1] / ep:5.2f}")

if __name__ == '__main__': main()
