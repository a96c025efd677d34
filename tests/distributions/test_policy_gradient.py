"""The reinforce / actor_critic idiom of pytorch/examples: ``m = Categorical(probs);
a = m.sample(); loss = -m.log_prob(a) * R``. tinytensor's updates equal torch's step for step
(same initial weights, torch fed our sampled actions), and the policy learns without torch."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.distributions import Categorical

STATES = np.random.default_rng(5).standard_normal((16, 4))
TARGET = (STATES[:, 0] > 0).astype(np.int64)  # the rewarded action in each state


def _train_ours(steps, record_actions=None):
    tt.manual_seed(0)
    policy = tt.nn.Linear(4, 2).double()
    w0 = {k: v.detach().numpy().copy() for k, v in policy.state_dict().items()}
    opt = tt.optim.SGD(policy.parameters(), lr=0.5)
    x = tt.tensor(STATES)
    for _ in range(steps):
        probs = tt.softmax(policy(x), dim=-1)
        m = Categorical(probs)
        a = m.sample()
        reward = (a == tt.tensor(TARGET)).double()
        r = reward - reward.mean()
        loss = (-m.log_prob(a) * r).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if record_actions is not None:
            record_actions.append(a.numpy().copy())
    return policy, w0


def test_policy_learns_the_rewarded_action():
    policy, _ = _train_ours(150)
    probs = tt.softmax(policy(tt.tensor(STATES)), dim=-1).detach().numpy()
    chosen = probs[np.arange(len(TARGET)), TARGET]
    assert chosen.mean() > 0.85, chosen


@pytest.mark.torch
def test_policy_gradient_steps_equal_torch():
    torch = pytest.importorskip("torch")
    actions = []
    policy, w0 = _train_ours(40, actions)
    ref = torch.nn.Linear(4, 2).double()
    ref.load_state_dict({k: torch.tensor(v) for k, v in w0.items()})
    opt = torch.optim.SGD(ref.parameters(), lr=0.5)
    x = torch.tensor(STATES)
    for a_np in actions:
        probs = torch.softmax(ref(x), dim=-1)
        m = torch.distributions.Categorical(probs)
        a = torch.tensor(a_np)
        reward = (a == torch.tensor(TARGET)).double()
        r = reward - reward.mean()
        loss = (-m.log_prob(a) * r).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for k, v in policy.state_dict().items():
        np.testing.assert_allclose(
            v.detach().numpy(), ref.state_dict()[k].numpy(), rtol=1e-10, atol=1e-12
        )
