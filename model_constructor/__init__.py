__version__ = "0.1.0"

import warnings as _warnings
# fastai decorates a few helpers with `torch.jit.script`, which torch >= 2.10 warns about on every import: silenced here,
# before any chapter imports fastai, so that the CLIs' first line is theirs.
_warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)

# Every preset becomes a timm model on import: timm.create_model('mc_xresnet50') (see the backbones chapter).
from . import backbones as _backbones
