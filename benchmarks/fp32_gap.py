"""Where ours and fastai's fp32 training steps differ: the model, the recipe's loss, the guard's clipping, or the
Learner — each swapped alone, side by side in one run (same batches, interleaved rounds, as `train_speed.py`).

    python benchmarks/fp32_gap.py [--arch xresnet50] [--size 128] [--bs 32] [--steps 6] [--rounds 3]

Rows, each a change of the one above it, all fp32 NCHW, Ranger unless named:
- fastai's Learner + fastai's xresnet + cross-entropy (fastai's default, the reference)
- the same Learner with our model (`create_model(arch)`): the model's own cost
- `mc_learner(precision='fp32', clip=None)`: our recipe's loss (label smoothing) and the guard without clipping
- `mc_learner(precision='fp32')`: plus gradient clipping at 1.0 (the recipe's default)
- bare loops (no Learner, SGD) over fastai's model and over ours: the model's cost without any framework."""
import platform, statistics
import torch
from torch import nn
from fastai.learner import Learner
from fastai.optimizer import ranger
import fastai.vision.models.xresnet as fx
from model_constructor.zoo import create_model
from model_constructor.learner import mc_learner
from train_speed import dls_for, warm_up, timed_epoch, BareLoop, step_parser, fastai_model, our_model

def main():
    a = step_parser().parse_args()
    dls = dls_for(a.size, a.bs, a.steps)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; {a.arch} fp32, "
          f"batch {a.bs} at {a.size} px, {a.rounds} rounds of {a.steps} steps")
    torch.manual_seed(0)
    ref = "fastai Learner, fastai model"
    learners = {ref: Learner(dls, fastai_model(a), loss_func=nn.CrossEntropyLoss(), opt_func=ranger),
                "fastai Learner, our model": Learner(dls, our_model(a), loss_func=nn.CrossEntropyLoss(), opt_func=ranger),
                "mc_learner fp32, clip=None": mc_learner(dls, our_model(a), precision='fp32', clip=None, metrics=[]),
                "mc_learner fp32 (clip 1.0)": mc_learner(dls, our_model(a), precision='fp32', metrics=[])}
    ours = BareLoop(a, dls, False); ours.model = our_model(a); ours.fwd = ours.model
    ours.opt = torch.optim.SGD(ours.model.parameters(), lr=1e-3, momentum=0.9)
    bare = {'bare loop, fastai model (SGD)': BareLoop(a, dls, False), 'bare loop, our model (SGD)': ours}
    for k, l in learners.items(): print(f"  warm-up {k:34s} {warm_up(l):6.1f} s")
    for b in bare.values(): b.epoch()
    steps = {k: [] for k in [*learners, *bare]}
    for r in range(a.rounds):
        for k, l in learners.items(): steps[k] += timed_epoch(l, a.steps)[0]
        for k, b in bare.items(): steps[k] += b.epoch()[1:]
    med = {k: statistics.median(v) for k, v in steps.items()}
    for k, m in med.items():
        print(f"  {k:34s} {m:6.3f} s/step  x{med[ref] / m:5.2f} vs fastai's default" + (f"  x{med['bare loop, fastai model (SGD)'] / m:5.2f} vs its bare loop" if 'bare' in k else ''))
    print("  per round (median s/step): " + '; '.join(f"{k}: " + ' '.join(f"{statistics.median(v[i * (a.steps - 1):(i + 1) * (a.steps - 1)]):.2f}" for i in range(a.rounds)) for k, v in steps.items()))

if __name__ == '__main__': main()
