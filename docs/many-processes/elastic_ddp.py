# PyTorch's DDP tutorial program ("elastic_ddp.py") on the CPU, with tinytensor's imports.
# Run: tinytensor-run --nnodes=1 --nproc_per_node=2 elastic_ddp.py
import tinytensor as torch
import tinytensor.distributed as dist
import tinytensor.nn as nn
import tinytensor.optim as optim
from tinytensor.nn.parallel import DistributedDataParallel as DDP


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.net1 = nn.Linear(10, 10)
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x):
        return self.net2(self.relu(self.net1(x)))


def demo_basic():
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    print(f"Start running basic DDP example on rank {rank}.")
    model = ToyModel()
    ddp_model = DDP(model)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)
    optimizer.zero_grad()
    outputs = ddp_model(torch.randn(20, 10))
    labels = torch.randn(20, 5)
    loss_fn(outputs, labels).backward()
    optimizer.step()
    # every rank holds the same weights after the step (rank 0's start, averaged gradients)
    weights = [None] * dist.get_world_size()
    dist.all_gather_object(weights, model.net1.weight.detach().numpy().tolist())
    print(f"rank {rank}: the ranks' weights agree: {all(w == weights[0] for w in weights)}")
    dist.destroy_process_group()
    print(f"Finished running basic DDP example on rank {rank}.")


if __name__ == "__main__":
    demo_basic()
