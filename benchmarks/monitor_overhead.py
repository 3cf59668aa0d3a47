"""ActivationMonitor hook cost per forward+backward of RedNet-26 (64 px, bs 32, bf16 autocast, channels-last), side by side in one run:
no hooks; the check only (what a step the monitor does not record computes); the stats and histogram (a recorded step,
and before this change every step that was checked).

    python benchmarks/monitor_overhead.py
"""
import time, torch, shlex
from model_constructor.leaderboard import build_model, check_recipe, parse_command
from model_constructor.actstats import ActivationMonitor, default_monitor_modules, layer_stats, _check_stats
torch.manual_seed(0)
a = parse_command(shlex.split('--dataset imagewoof --size 64 --arch rednet26')); r = check_recipe(a['recipe'])
m = build_model(r, a['model'], 10).to(memory_format=torch.channels_last)
x = torch.randn(32, 3, 64, 64).contiguous(memory_format=torch.channels_last)
mods = [m.get_submodule(n) for n in default_monitor_modules(m)]
def run(stat):
    hs = [mm.register_forward_hook(lambda mm, i, o: (stat(o) if torch.is_tensor(o) else None, None)[1]) for mm in mods] if stat else []
    ts = []
    for _ in range(6):
        t = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16): m(x).float().sum().backward()
        ts.append(time.perf_counter() - t)
    for h in hs: h.remove()
    return sorted(ts[1:])[2]
res = {k: [] for k in ('no monitor', 'check only (new)', 'stats + histogram (every step before)')}
for _ in range(2):
    res['no monitor'].append(run(None)); res['check only (new)'].append(run(_check_stats)); res['stats + histogram (every step before)'].append(run(lambda o: layer_stats(o, 40)))
base = min(res['no monitor'])
for k, v in res.items(): print(f"{k:40s} {min(v)*1000:7.0f} ms/step  x{min(v)/base:.2f}")
print(len(mods), 'hooked layers')
