"""The cached loader against the JPEG loader, side by side in one run: the data pipeline alone, and a whole training
epoch on the machine it runs on.

    FASTAI_HOME=... python benchmarks/loader.py [--size 128] [--bs 64] [--batches 100] [--arch xresnet18] [--no-epoch]

- store: opening the cached loader's store (decoding every image once, the first time; checking its checksums after);
- pipeline alone: training batches delivered per second with no model (after one warm-up batch) — the JPEG loader's
  worker processes decoding, cropping and flipping in PIL, against the cached loader's gather from the
  memory-mapped store plus `BatchRandomResizedCrop` on the device (here the CPU: the case least favourable to it),
  and the cached loader's host side alone (the gather; on a GPU machine the augmentation runs on the GPU); the
  cached loader's crop three ways: antialiased per sample (what the CPU runs), antialiased as two batched matrix
  products (what a GPU runs, here on the CPU), and plain bilinear `grid_sample` (`antialias=False`);
- whole epoch: one epoch of the Imagewoof leaderboard cell through `mc_learner`, each loader, after a short warm-up
  fit of a few batches (oneDNN's one-off kernel choices), with the share of the epoch spent waiting for batches.
Targets: the pipeline alone at least 10x faster cached, and the epoch not slower than with JPEGs."""
import argparse, os, time, statistics
import torch
from model_constructor.data import imagenette_dls   # first: the package silences fastai's import-time torch.jit warning
from fastai.callback.core import Callback, CancelFitException
from model_constructor.zoo import create_model
from model_constructor.learner import mc_learner
from model_constructor.training import machine

class Waits(Callback):
    "Time spent waiting for the next training batch, and in training steps."
    order = -1000
    def before_fit(self): self.wait, self.steps, self.last = 0., 0., None
    def before_batch(self):
        if not self.training: return
        t = time.perf_counter()
        if self.last is not None: self.wait += t - self.last
        self.t0 = t
    def after_batch(self):
        if self.training: self.last = time.perf_counter(); self.steps += self.last - self.t0
    def before_validate(self): self.last = None

class StopAfter(Callback):
    def __init__(self, n): self.n = n
    def after_batch(self):
        if self.training and self.iter + 1 >= self.n: raise CancelFitException()

def pipeline(dl, batches:int) -> float:
    "Images per second a training DataLoader delivers alone, after one warm-up batch."
    it = iter(dl); next(it)
    t, n = time.perf_counter(), 0
    for _ in range(batches):
        try: b = next(it)
        except StopIteration: break
        n += len(b[0])
    return n / (time.perf_counter() - t)

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--size', type=int, default=128); p.add_argument('--bs', type=int, default=64); p.add_argument('--batches', type=int, default=100)
    p.add_argument('--arch', default='xresnet18'); p.add_argument('--release', default='160'); p.add_argument('--no-epoch', action='store_true')
    a = p.parse_args()
    print(f"{machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; Imagewoof {a.release}-px release, {a.size} px, bs {a.bs}")
    t = time.perf_counter(); cached = imagenette_dls('imagewoof', size=a.size, bs=a.bs, release=a.release, loader='cached'); t_store = time.perf_counter() - t
    st = cached.train.dataset.store
    gib = (st.canvas.nbytes + st.valid.nbytes) / 2**30
    print(f"store: {len(st)} images, {gib:.2f} GiB in {st.dir}; opened in {t_store:.1f} s (includes decoding when it was built now)")
    jpeg = imagenette_dls('imagewoof', size=a.size, bs=a.bs, release=a.release, loader='jpeg')
    ips_j, ips_c = pipeline(jpeg.train, a.batches), pipeline(cached.train, a.batches)
    ips_h = pipeline(cached.train.new(after_batch=lambda b: b), a.batches)
    crop = cached.train.after_batch
    ips_b = pipeline(cached.train.new(after_batch=type(crop)(a.size, batched=True)), a.batches)
    ips_p = pipeline(cached.train.new(after_batch=type(crop)(a.size, antialias=False)), a.batches)
    print(f"pipeline alone, {a.batches} training batches: jpeg ({jpeg.train.fake_l.num_workers} worker processes) {ips_j:,.0f} img/s | "
          f"cached, augmentation on this CPU {ips_c:,.0f} img/s = {ips_c / ips_j:.1f}x | "
          f"cached, host side only (gather from the store: what the CPU does when a GPU augments) {ips_h:,.0f} img/s = {ips_h / ips_j:.1f}x")
    print(f"the cached loader's crop on this CPU: antialiased per sample {ips_c:,.0f} img/s | antialiased, batched matrix products (the GPU's way) "
          f"{ips_b:,.0f} img/s | plain bilinear grid_sample (antialias=False) {ips_p:,.0f} img/s")
    if a.no_epoch: return
    res = {}
    for name, dls in (('jpeg', jpeg), ('cached', cached)):
        torch.manual_seed(0)
        learn = mc_learner(dls, create_model(a.arch, n_out=dls.c))
        w = Waits(); learn.add_cb(w)
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=StopAfter(5))   # warm-up
        with learn.no_bar(), learn.no_logging():
            t = time.perf_counter(); learn.fit(1, 1e-3); total = time.perf_counter() - t
        res[name] = total
        print(f"epoch, {name}: {total:6.1f} s (training steps {w.steps:6.1f} s, waiting for batches {w.wait:5.1f} s, validation and the rest {total - w.steps - w.wait:5.1f} s); "
              f"{len(dls.train_ds) / total:5.1f} img/s over the epoch")
    print(f"epoch time cached / jpeg = {res['cached'] / res['jpeg']:.3f}")

if __name__ == '__main__': main()
