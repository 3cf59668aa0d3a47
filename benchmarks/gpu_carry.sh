#!/usr/bin/env bash
# Prepare, once, what `benchmarks/gpu_check.py` needs on a lent GPU machine, whose image has PyTorch, torchvision,
# timm, pandas, scikit-learn and matplotlib but not fastai: the fastai wheels (in .whl/) and a class-balanced slice of
# Imagewoof (in .gpu_data/), both ignored by git and carried with the device call (64 MiB at most in all).
#   bash benchmarks/gpu_carry.sh [IMAGEWOOF_FOLDER] [IMAGES_PER_CLASS]
# Then, on the GPU machine (the device tool's run, carry: [".whl", ".gpu_data"]):
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl &&
#   PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 python3 benchmarks/gpu_check.py --out $OUT/gpu_check.md --data .gpu_data/imagewoof --runs-out $OUT/runs
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared/data/imagewoof2-160}; n=${2:-120}
for d in /.whl/ /.gpu_data/; do grep -qx "$d" .git/info/exclude || echo "$d" >> .git/info/exclude; done
rm -rf .whl .gpu_data; mkdir -p .whl .gpu_data
# fastprogress 1.0.3: later releases import python-fasthtml (and its web stack) at import time
python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux2014_x86_64 -d .whl \
  fastai==2.8.12 fastcore==2.2.41 fasttransform==0.0.5 fastprogress==1.0.3 fastdownload==0.0.8 plum-dispatch==2.9.0 beartype
python - "$src" "$n" <<'PY'
import shutil, sys
from pathlib import Path
src, n = Path(sys.argv[1]), int(sys.argv[2])
for split, k in (('train', n), ('val', n // 2)):
    for c in sorted(p for p in (src/split).iterdir() if p.is_dir()):
        (Path('.gpu_data/imagewoof')/split/c.name).mkdir(parents=True, exist_ok=True)
        for f in sorted(c.iterdir())[:k]: shutil.copy(f, Path('.gpu_data/imagewoof')/split/c.name/f.name)
PY
du -sh .whl .gpu_data
