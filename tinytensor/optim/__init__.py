"""``tinytensor.optim``: optimizers and learning-rate schedulers with PyTorch's update rules."""

from tinytensor.optim import lr_scheduler, swa_utils
from tinytensor.optim.adadelta import Adadelta
from tinytensor.optim.adagrad import Adagrad
from tinytensor.optim.adam import Adam, AdamW
from tinytensor.optim.adamax import Adamax
from tinytensor.optim.asgd import ASGD
from tinytensor.optim.lbfgs import LBFGS
from tinytensor.optim.nadam import NAdam
from tinytensor.optim.optimizer import Optimizer
from tinytensor.optim.radam import RAdam
from tinytensor.optim.rmsprop import RMSprop
from tinytensor.optim.rprop import Rprop
from tinytensor.optim.sgd import SGD

#: Public names of ``torch.optim`` that tinytensor does not provide, each with the reason.
NOT_PLANNED = {
    "SparseAdam": "needs sparse gradients (sparse layouts are not planned)",
    "Adafactor": "not in tinytensor's scope yet: a memory-saving optimizer for large models",
    "Muon": "not in tinytensor's scope yet: orthogonalised (Newton-Schulz) updates for large "
    "models",
    "swap_in_optimizer_params_and_state": "belongs to torch.__future__ parameter swapping for "
    "tensor subclasses, which tinytensor does not have",
}

__all__ = [
    "ASGD",
    "LBFGS",
    "NOT_PLANNED",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
    "swa_utils",
]
