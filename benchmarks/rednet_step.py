"""RedNet-26 against ResNet-26, one training step each, side by side in one run: the RedNet study's two networks
(`nbs/42_study_rednet.ipynb`: Imagewoof's 10 classes, 64 px, batch 32) built from the study's own commands, with its
precision (bf16 autocast + channels-last on a CPU with bf16) and a plain SGD step. The study's minutes per run come
from different machines for some cells; this gives the ratio of the two networks on whatever machine runs it.

    python benchmarks/rednet_step.py [--rounds 3] [--steps 5]

Each round times `steps` steps of each network in turn after one warm-up step each (so both see the same drift of
the machine's speed); printed: the median step over all rounds and its ratio to ResNet-26's.
"""
import argparse, platform, shlex, statistics, time, torch
from model_constructor.leaderboard import build_model, check_recipe, parse_command

NETS = {'ResNet-26': "--arch xresnet50 --layers '[1, 2, 4, 1]'", 'RedNet-26': '--arch rednet26'}

def machine():
    name = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return f"{name}, {torch.get_num_threads()} threads, torch {torch.__version__}"

def net(cmd):
    a = parse_command(shlex.split(f'--dataset imagewoof --size 64 --bs 32 {cmd}'))
    return build_model(check_recipe(a['recipe']), a['model'], 10).to(memory_format=torch.channels_last)

def step(m, opt, x, y):
    t = time.perf_counter()
    with torch.autocast('cpu', dtype=torch.bfloat16): loss = torch.nn.functional.cross_entropy(m(x).float(), y)
    loss.backward(); opt.step(); opt.zero_grad()
    return time.perf_counter() - t

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--rounds', type=int, default=3); p.add_argument('--steps', type=int, default=5)
    args = p.parse_args()
    torch.manual_seed(0)
    x, y = torch.randn(32, 3, 64, 64).contiguous(memory_format=torch.channels_last), torch.randint(0, 10, (32,))
    models = {k: net(c) for k, c in NETS.items()}
    opts = {k: torch.optim.SGD(m.parameters(), lr=1e-3) for k, m in models.items()}
    times = {k: [] for k in models}
    for _ in range(args.rounds):
        for k, m in models.items():
            step(m, opts[k], x, y)                                  # warm-up: oneDNN picks its kernels
            times[k] += [step(m, opts[k], x, y) for _ in range(args.steps)]
    ref = statistics.median(times['ResNet-26'])
    print(machine())
    for k, v in times.items(): print(f"{k:10s} {statistics.median(v) * 1000:7.0f} ms / step   {statistics.median(v) / ref:.2f}x ResNet-26")
