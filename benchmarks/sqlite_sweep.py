"""Where SQLite stops being a safe shared study: N worker processes on one SQLite file, each running trials that
report an intermediate value every `--step-ms` (an epoch of a real trial takes seconds to minutes; here milliseconds,
to find the limit), with the heartbeats and the 60 s busy timeout `mc-sweep` uses. Prints, per N, trials finished
per second, the slowest single storage call, and how many calls failed ("database is locked" or otherwise).

    python benchmarks/sqlite_sweep.py --workers "[2, 4, 8, 16]" --trials 40 --steps 5
"""
import json, multiprocessing as mp, os, sys, tempfile, time
from pathlib import Path
from fastcore.script import call_parse

def _work(url, n_trials, steps, step_ms, q):
    import optuna, warnings
    warnings.filterwarnings('ignore')
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    from model_constructor.sweep import open_storage
    st = optuna.load_study(study_name='bench', storage=open_storage(url, Path('.'), heartbeat=1))
    errors, worst = 0, 0.
    for _ in range(n_trials):
        try:
            t0 = time.perf_counter(); trial = st.ask(); worst = max(worst, time.perf_counter() - t0)
            x = trial.suggest_float('x', 0, 1)
            for s in range(steps):
                time.sleep(step_ms / 1000)
                t0 = time.perf_counter(); trial.report(x * s, s); worst = max(worst, time.perf_counter() - t0)
            t0 = time.perf_counter(); st.tell(trial, x); worst = max(worst, time.perf_counter() - t0)
        except Exception as e:
            errors += 1; q.put(('error', f"{type(e).__name__}: {str(e)[:120]}"))
    q.put(('done', errors, worst))

@call_parse
def main(workers:str='[2, 4, 8, 16]', # JSON list of process counts to try
         trials:int=40, # trials per worker
         steps:int=5, # intermediate values reported per trial
         step_ms:float=20., # time between reports (a real epoch: seconds or more)
        ):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    from model_constructor.sweep import open_storage
    print(f"{'workers':>7} {'trials/s':>9} {'writes/s':>9} {'slowest call s':>15} {'failed calls':>13}  (each trial: ask, {steps} reports {step_ms:g} ms apart, tell)")
    for n in json.loads(workers):
        d = Path(tempfile.mkdtemp()); url = f"sqlite:///{d/'study.db'}"
        optuna.create_study(storage=open_storage(url, d, heartbeat=1), study_name='bench', direction='maximize')
        q = mp.get_context('spawn').Queue()
        ps = [mp.get_context('spawn').Process(target=_work, args=(url, trials, steps, step_ms, q)) for _ in range(n)]
        t0 = time.perf_counter()
        for p in ps: p.start()
        res, msgs = [], []
        while len(res) < n:
            m = q.get()
            (res if m[0] == 'done' else msgs).append(m)
        for p in ps: p.join()
        secs = time.perf_counter() - t0
        done = len([t for t in optuna.load_study(study_name='bench', storage=url).trials if t.state.name == 'COMPLETE'])
        print(f"{n:>7} {done / secs:>9.1f} {done * (steps + 2) / secs:>9.1f} {max(r[2] for r in res):>15.2f} {sum(r[1] for r in res):>13}"
              + (f"  e.g. {msgs[0][1]}" if msgs else ''))
