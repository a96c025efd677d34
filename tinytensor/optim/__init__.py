"""``tinytensor.optim``: optimizers and learning-rate schedulers with PyTorch's update rules."""

from tinytensor.optim import lr_scheduler
from tinytensor.optim.adagrad import Adagrad
from tinytensor.optim.adam import Adam, AdamW
from tinytensor.optim.optimizer import Optimizer
from tinytensor.optim.rmsprop import RMSprop
from tinytensor.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
