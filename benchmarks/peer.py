"""A whole leaderboard run, side by side: fastai's stock Imagenette recipe in plain fastai (fp32) against the same
configuration through `mc-leaderboard`'s runner (its default path: bf16 autocast + channels-last on CPU, torch's
BatchNorm, gradient clipping at 1.0). Both: xresnet18 + Mish + self-attention, Ranger (mom 0.95, sqr_mom 0.99,
eps 1e-6), flat-cos from 72 %, lr 8e-3, wd 1e-2, label smoothing, bs 64, RandomResizedCrop(min_scale=0.35) + flip,
ImageNet stats, the official val split; one seeded run each, run one after the other so they never share the cores.

    FASTAI_HOME=/path/with/data/imagewoof2-160 python benchmarks/peer.py --size 64 --epochs 5
"""
import tempfile, time
from functools import partial
from fastcore.script import call_parse

def fastai_run(size, epochs, bs, lr, seed):
    from fastai.vision.all import (untar_data, URLs, DataBlock, ImageBlock, CategoryBlock, get_image_files, GrandparentSplitter,
                                   parent_label, RandomResizedCrop, FlipItem, Normalize, imagenet_stats, Learner, ranger,
                                   LabelSmoothingCrossEntropy, accuracy, set_seed, Mish)
    from fastai.vision.models.xresnet import xresnet18
    set_seed(seed, reproducible=True)
    path = untar_data(URLs.IMAGEWOOF_160)
    dls = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, get_y=parent_label, splitter=GrandparentSplitter(valid_name='val'),
                    item_tfms=[RandomResizedCrop(size, min_scale=0.35), FlipItem(0.5)],
                    batch_tfms=[Normalize.from_stats(*imagenet_stats)]).dataloaders(path, bs=bs, num_workers=2)
    learn = Learner(dls, xresnet18(n_out=dls.c, act_cls=Mish, sa=True), opt_func=partial(ranger, mom=0.95, sqr_mom=0.99, eps=1e-6),
                    loss_func=LabelSmoothingCrossEntropy(), metrics=[accuracy])
    t = time.time()
    with learn.no_bar(): learn.fit_flat_cos(epochs, lr, wd=1e-2, pct_start=0.72)
    return float(learn.recorder.values[-1][2]), time.time() - t

def ours_run(size, epochs, bs, lr, seed):
    from model_constructor.leaderboard import train_run
    row = train_run(dict(dataset='imagewoof', size=size, epochs=epochs, bs=bs, lr=lr, release=160), dict(act='mish', sa=True), seed=seed,
                    out=tempfile.mkdtemp(), plot=False)
    return row['accuracy'], row['train_time_s']

@call_parse
def main(size:int=64, # image size
         epochs:int=5, # epochs per run
         bs:int=64, # batch size
         lr:float=8e-3, # peak learning rate
         seed:int=0, # the seed of both runs
        ):
    import platform, torch, fastai
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    print(f"Imagewoof {size} px, {epochs} epochs, bs {bs}, seed {seed}; {cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}, fastai {fastai.__version__}", flush=True)
    a_f, t_f = fastai_run(size, epochs, bs, lr, seed)
    print(f"fastai stock recipe, fp32          top-1 {100 * a_f:.2f} %  {t_f:7.1f} s  1.00x", flush=True)
    a_o, t_o = ours_run(size, epochs, bs, lr, seed)
    print(f"mc-leaderboard default path        top-1 {100 * a_o:.2f} %  {t_o:7.1f} s  {t_f / t_o:.2f}x faster", flush=True)
