"""Where a real training epoch's wall time goes: training steps, waiting for the next batch, validation, epoch hooks —
and the data pipeline alone, side by side in one run.

    FASTAI_HOME=... python benchmarks/epoch.py [--arch xresnet18] [--size 128] [--bs 64] [--compile] [--workers N]

One epoch of the Imagewoof leaderboard cell through `mc_learner` (the recipe `mc-leaderboard` trains with), timed by a
callback that runs first and last around everything else:
- steps: `before_batch` to `after_batch` of each training batch (forward, loss, backward, optimiser, callbacks);
- loader wait: from one training batch's `after_batch` to the next one's `before_batch` (JPEG decode and
  RandomResizedCrop in the DataLoader workers, if they fall behind the model);
- validation: `before_validate` to `after_validate`;
- the rest of the epoch (epoch hooks, the recorder, progress bars) = epoch - steps - waits - validation.
Then, alone: a second validation pass (`learn.validate()`), and the training DataLoader iterated without a model
(images/s the pipeline can deliver on its own, while nothing else runs). The target: epoch within 15% of
steps + validation alone, and the pipeline alone at least twice the model's images/s."""
import argparse, os, time, statistics
import torch
from fastai.callback.core import Callback
from model_constructor.data import imagenette_dls
from model_constructor.zoo import create_model
from model_constructor.learner import mc_learner
from model_constructor.leaderboard import machine

class EpochTimer(Callback):
    "Wall times of a training epoch's parts."
    order = -1000
    def before_fit(self): self.steps, self.waits, self.valid, self.last = [], [], 0., None
    def before_batch(self):
        if not self.training: return
        t = time.perf_counter()
        if self.last is not None: self.waits.append(t - self.last)
        self.t0 = t
    def after_batch(self):
        if self.training: self.last = time.perf_counter(); self.steps.append(self.last - self.t0)
    def before_validate(self): self.v0 = time.perf_counter(); self.last = None
    def after_validate(self): self.valid += time.perf_counter() - self.v0

def main():
    p = argparse.ArgumentParser(); p.add_argument('--arch', default='xresnet18'); p.add_argument('--size', type=int, default=128)
    p.add_argument('--bs', type=int, default=64); p.add_argument('--compile', action='store_true'); p.add_argument('--workers', type=int, default=None)
    p.add_argument('--release', default='160')
    a = p.parse_args()
    dls = imagenette_dls('imagewoof', size=a.size, bs=a.bs, release=a.release, num_workers=a.workers)
    learn = mc_learner(dls, create_model(a.arch, n_out=dls.c), compile=a.compile)
    learn.add_cb(EpochTimer())
    print(f"{machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads, {dls.train.num_workers} loader workers; "
          f"{a.arch}, bs {a.bs}, {a.size} px, compile={a.compile}: {len(dls.train)} training / {len(dls.valid)} validation batches")
    for ep in range(2):   # the first epoch pays the one-off costs (oneDNN kernel choice, compiling); the second is the one a run repeats
        with learn.no_bar(), learn.no_logging():
            t = time.perf_counter(); learn.fit(1, 1e-3); total = time.perf_counter() - t
        et = learn.epoch_timer
        steps, waits = sum(et.steps), sum(et.waits)
        print(f"  epoch {ep}: {total:6.1f} s = steps {steps:6.1f} s ({len(et.steps)} x {statistics.median(et.steps):.3f} s median) + loader wait {waits:5.1f} s "
              f"+ validation {et.valid:5.1f} s + rest {total - steps - waits - et.valid:5.1f} s; {len(dls.train_ds) / total:5.1f} img/s over the epoch")
    model_ips = a.bs / statistics.median(et.steps)   # (read before validate(): fastai's validation context re-runs before_fit)
    with learn.no_bar(), learn.no_logging():
        t = time.perf_counter(); learn.validate(); v_alone = time.perf_counter() - t
    t = time.perf_counter(); n = 0
    for xb, yb in dls.train: n += len(xb)
    pipe = n / (time.perf_counter() - t)
    print(f"  validation pass alone: {v_alone:.1f} s; epoch / (steps + validation alone) = {total / (steps + v_alone):.2f}")
    print(f"  data pipeline alone: {pipe:.0f} img/s vs the model's {model_ips:.0f} img/s in its steps = {pipe / model_ips:.1f}x")

if __name__ == '__main__': main()
