"""pytorch/examples reinforcement_learning (REINFORCE and actor-critic) on an inlined CartPole.

The policies are the examples' (``Categorical(probs)``, ``m.log_prob(action)``, discounted and
normalised returns; the actor-critic adds a value head and ``smooth_l1_loss``). gym is replaced
by CartPole's equations of motion in NumPy. To compare with PyTorch step for step, the actions
are drawn by inverse CDF from NumPy uniforms over the policy's ``probs`` (each library's
``m.sample()`` uses its own generator); ``m.sample()`` itself is exercised by a frequency check
over many draws, and once per episode to show it gives a valid action. Dropout is 0.
"""

from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

from _numpy_init import init_from_numpy

TOLERANCES = {
    "reinforce_loss": (1e-3, 1e-4),
    "actor_critic_loss": (1e-3, 1e-4),
    "entropy": (1e-3, 1e-5),
    "sample_frequencies": "structure",
}

SavedAction = namedtuple("SavedAction", ["log_prob", "value"])
eps = np.finfo(np.float32).eps.item()


class CartPole:
    """CartPole-v1's dynamics (Euler steps), reward 1 per step until the pole falls."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4)
        return self.state.copy()

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        costheta, sintheta = np.cos(theta), np.sin(theta)
        temp = (force + 0.05 * theta_dot**2 * sintheta) / 1.1
        thetaacc = (9.8 * sintheta - costheta * temp) / (
            0.5 * (4.0 / 3.0 - 0.1 * costheta**2 / 1.1)
        )
        xacc = temp - 0.05 * thetaacc * costheta / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        done = bool(abs(x) > 2.4 or abs(theta) > 12 * 2 * np.pi / 360)
        return self.state.copy(), 1.0, done


class Policy(nn.Module):
    def __init__(self, actor_critic=False):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 32)
        self.dropout = nn.Dropout(p=0.0)
        self.affine2 = nn.Linear(32, 2)
        self.value_head = nn.Linear(32, 1) if actor_critic else None
        self.saved_log_probs = []
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.dropout(self.affine1(x)))
        action_scores = self.affine2(x)
        if self.value_head is None:
            return F.softmax(action_scores, dim=1)
        return F.softmax(action_scores, dim=-1), self.value_head(x)


def draw(probs, u):
    """Inverse-CDF draw of one action from probs (1, n) with the NumPy uniform u."""
    cdf = np.cumsum(probs.detach().numpy()[0])
    return torch.tensor([int(np.searchsorted(cdf, u * cdf[-1]))])


def discounted(rewards, gamma):
    R, returns = 0, []
    for r in rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    return (returns - returns.mean()) / (returns.std() + eps)


def run_reinforce(seed, episodes, gamma=0.99):
    policy = Policy()
    init_from_numpy(policy, seed)
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    env, rng = CartPole(seed), np.random.default_rng(seed + 1)
    losses, lengths, entropies, sampled_ok = [], [], [], True
    for i_episode in range(episodes):
        state = env.reset()
        for t in range(1, 200):
            state = torch.from_numpy(state).float().unsqueeze(0)
            probs = policy(state)
            m = Categorical(probs)
            sampled_ok &= int(m.sample().item()) in (0, 1)
            action = draw(probs, rng.uniform())
            policy.saved_log_probs.append(m.log_prob(action))
            entropies.append(m.entropy().item())
            state, reward, done = env.step(action.item())
            policy.rewards.append(reward)
            if done:
                break
        returns = discounted(policy.rewards, gamma)
        policy_loss = [-log_prob * R for log_prob, R in zip(policy.saved_log_probs, returns)]
        optimizer.zero_grad()
        policy_loss = torch.cat(policy_loss).sum()
        policy_loss.backward()
        optimizer.step()
        losses.append(policy_loss.item())
        lengths.append(t)
        del policy.rewards[:]
        del policy.saved_log_probs[:]
    return losses, lengths, entropies, sampled_ok


def run_actor_critic(seed, episodes, gamma=0.99):
    model = Policy(actor_critic=True)
    init_from_numpy(model, seed)
    optimizer = optim.Adam(model.parameters(), lr=3e-2)
    env, rng = CartPole(seed + 2), np.random.default_rng(seed + 3)
    losses, lengths = [], []
    for i_episode in range(episodes):
        state = env.reset()
        for t in range(1, 200):
            probs, state_value = model(torch.from_numpy(state).float())
            m = Categorical(probs)
            action = draw(probs.unsqueeze(0), rng.uniform())[0]
            model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
            state, reward, done = env.step(action.item())
            model.rewards.append(reward)
            if done:
                break
        returns = discounted(model.rewards, gamma)
        policy_losses, value_losses = [], []
        for (log_prob, value), R in zip(model.saved_actions, returns):
            advantage = R - value.item()
            policy_losses.append(-log_prob * advantage)
            value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        lengths.append(t)
        del model.rewards[:]
        del model.saved_actions[:]
    return losses, lengths


def main(seed):
    torch.manual_seed(seed)
    reinforce_loss, reinforce_len, entropies, sampled_ok = run_reinforce(seed, 8)
    ac_loss, ac_len = run_actor_critic(seed, 8)
    probs = torch.tensor([0.1, 0.2, 0.3, 0.4])
    counts = torch.bincount(Categorical(probs=probs).sample((20000,)), minlength=4)
    batch = Categorical(logits=torch.zeros(3, 5))
    return {
        "reinforce_loss": reinforce_loss,
        "reinforce_length": reinforce_len,
        "entropy": entropies[:20],
        "sampled_ok": sampled_ok,
        "actor_critic_loss": ac_loss,
        "actor_critic_length": ac_len,
        "sample_frequencies": (counts.float() / 20000).tolist(),
        "batch_shape": list(batch.batch_shape),
        "sample_shape": list(batch.sample((2,)).shape),
    }


def check(results):
    frequencies = np.array(results["sample_frequencies"])
    assert np.abs(frequencies - [0.1, 0.2, 0.3, 0.4]).max() < 0.015, frequencies
    assert results["sampled_ok"]
    assert all(0 < h <= np.log(2) + 1e-6 for h in results["entropy"])
    assert results["batch_shape"] == [3] and results["sample_shape"] == [2, 3]
