"""``torch.backends.cudnn``: flags programs set; they have no effect on the CPU."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: there is no cuDNN; the flags of this module are accepted and have no effect."""
    return False


def version():
    """None, as PyTorch returns when cuDNN is not available."""
    return None
