"""``torch.backends.cudnn``: flags programs set; they have no effect on the CPU."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None
