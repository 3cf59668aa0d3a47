"""Build, train and look inside ResNet-family CNNs whose every part is swappable: stem, block, conv operator, norm, activation.

Modules:

- `model_constructor.cached`: `loader='cached'`: every image decoded once into a uint8 store on disk, memory-mapped; the leaderboard's RandomResizedCrop and flip computed per sample but in batches on the training device. What keeps a GPU fed from two CPU cores."""

__version__ = "0.1.0"

import warnings as _warnings
# fastai decorates a few helpers with `torch.jit.script`, which torch >= 2.10 warns about on every import: silenced here,
# before any chapter imports fastai, so that the CLIs' first line is theirs.
_warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)
