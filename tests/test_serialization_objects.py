"""tt.save of whole objects (modules, optimizers, custom classes) as PyTorch does, tt.load's
weights_only allowlist, pickling of tensors and modules, and the nn.modules import paths."""

from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.serialization import SerializationError, WeightsOnlyUnpicklingError

nn = tt.nn
S = tt.serialization


class RNNModel(nn.Module):
    """word_language_model's model, small: embedding, LSTM, tied decoder."""

    def __init__(self, ntoken=11, ninp=6, nlayers=2):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, ninp, nlayers)
        self.decoder = nn.Linear(ninp, ntoken)
        self.decoder.weight = self.encoder.weight  # tied
        self.nlayers, self.nhid = nlayers, ninp

    def forward(self, x, hidden):
        out, hidden = self.rnn(self.drop(self.encoder(x)), hidden)
        return self.decoder(self.drop(out)), hidden

    def init_hidden(self, bsz):
        z = tt.zeros(self.nlayers, bsz, self.nhid)
        return (z, z.clone())


@pytest.fixture(autouse=True)
def _no_leftover_safe_globals():
    S.clear_safe_globals()
    yield
    S.clear_safe_globals()


def _saved(obj):
    buf = io.BytesIO()
    tt.save(obj, buf)
    buf.seek(0)
    return buf


def test_word_language_model_pattern(tmp_path):
    tt.manual_seed(0)
    model = RNNModel().eval()
    x = tt.randint(0, 11, (5, 3))
    want, _ = model(x, model.init_hidden(3))
    path = tmp_path / "model.pt"
    with open(path, "wb") as f:
        tt.save(model, f)
    with open(path, "rb") as f:
        model2 = tt.load(f, weights_only=False)
    model2.rnn.flatten_parameters()
    got, _ = model2(x, model2.init_hidden(3))
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert model2.decoder.weight is model2.encoder.weight  # tying survives
    assert type(model2) is RNNModel and not model2.training
    assert list(model2.state_dict()) == list(model.state_dict())


def test_weights_only_default_refuses_classes_and_names_them():
    buf = _saved(RNNModel())
    with pytest.raises(WeightsOnlyUnpicklingError) as err:
        tt.load(buf)
    msg = str(err.value)
    assert isinstance(err.value, pickle.UnpicklingError) and isinstance(err.value, RuntimeError)
    assert "Weights only load failed" in msg and "weights_only` set to `False`" in msg
    assert f"Unsupported global: GLOBAL {__name__}.RNNModel" in msg
    assert "add_safe_globals([" in msg and "safe_globals([" in msg
    buf.seek(0)
    unsafe = S.get_unsafe_globals_in_checkpoint(buf)
    assert f"{__name__}.RNNModel" in unsafe and "tinytensor.nn.linear.Linear" in unsafe
    assert "collections.OrderedDict" not in unsafe and "builtins.set" not in unsafe


def test_safe_globals_context_and_add_clear_get():
    tt.manual_seed(1)
    model = RNNModel().eval()
    buf = _saved(model)
    needed = [RNNModel, nn.Dropout, nn.Embedding, nn.LSTM, nn.Linear]
    with S.safe_globals(needed):
        assert S.get_safe_globals() == needed
        got = tt.load(buf)
    assert S.get_safe_globals() == []  # the block's entries are gone again
    x = tt.randint(0, 11, (4, 2))
    np.testing.assert_array_equal(
        got(x, got.init_hidden(2))[0].detach().numpy(),
        model(x, model.init_hidden(2))[0].detach().numpy(),
    )
    buf.seek(0)
    S.add_safe_globals(needed[:-1])
    with pytest.raises(WeightsOnlyUnpicklingError, match="tinytensor.nn.linear.Linear"):
        tt.load(buf)
    buf.seek(0)
    S.add_safe_globals([(nn.Linear, "tinytensor.nn.linear.Linear")])
    assert isinstance(tt.load(buf), RNNModel)
    S.clear_safe_globals()
    assert S.get_safe_globals() == []
    with pytest.raises(TypeError):
        S.add_safe_globals(RNNModel)
    with pytest.raises(ValueError):
        S.add_safe_globals([(RNNModel,)])


def test_optimizer_and_custom_objects_round_trip_and_training_continues():
    rng = np.random.default_rng(0)
    x, y = (tt.tensor(rng.standard_normal(s).astype(np.float32)) for s in ((8, 3), (8, 1)))
    tt.manual_seed(2)
    model = nn.Linear(3, 1)
    opt = tt.optim.Adam(model.parameters(), lr=0.05)

    def step(m, o):
        o.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss.item()

    for _ in range(3):
        step(model, opt)
    ck = tt.load(_saved({"model": model, "opt": opt, "epoch": 3}), weights_only=False)
    m2, o2 = ck["model"], ck["opt"]
    assert o2.param_groups[0]["params"][0] is m2.weight  # one object, as in the saved run
    for _ in range(3):
        assert step(m2, o2) == step(model, opt)  # bit-identical continuation
    np.testing.assert_array_equal(m2.weight.detach().numpy(), model.weight.detach().numpy())


def test_plain_containers_with_dtypes_load_under_weights_only():
    obj = {(1, 2): tt.ones(2), "dt": tt.float16, "shape": tt.Size([3, 4]), "z": 2 + 1j,
           "s": {1, 2}, "a": np.arange(3)}  # fmt: skip
    got = tt.load(_saved(obj))  # a tuple key and dtypes need the pickle, still weights-only
    assert got["dt"] is tt.float16 and got["shape"] == (3, 4) and got["s"] == {1, 2}
    np.testing.assert_array_equal(got[(1, 2)].numpy(), 1)
    np.testing.assert_array_equal(got["a"], np.arange(3))
    assert S.get_unsafe_globals_in_checkpoint(_saved(obj)) == []
    assert S.get_unsafe_globals_in_checkpoint(_saved({"w": tt.ones(1)})) == []


def test_tensors_parameters_modules_pickle_and_deepcopy():
    x = tt.ones(2, requires_grad=True)
    y = x * 3
    for t in (y, tt.arange(4).reshape(2, 2), nn.Parameter(tt.randn(3))):
        u = pickle.loads(pickle.dumps(t))
        assert type(u) is type(t) and u.dtype == t.dtype and u.shape == t.shape
        assert u.requires_grad == t.requires_grad and u.is_leaf and u.grad_fn is None
        np.testing.assert_array_equal(u.detach().numpy(), t.detach().numpy())
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.LazyLinear(3))
    for m2 in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert [type(c) for c in m2] == [type(c) for c in m] and m2[2].has_uninitialized_params()
        for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
            if not isinstance(a, nn.UninitializedParameter):
                np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
                assert a.data_ptr() != b.data_ptr() if hasattr(a, "data_ptr") else True


class TaggedTensor(tt.Tensor):
    """A user's Tensor subclass with an attribute of its own."""


def test_tensor_subclass_keeps_its_class_and_attributes():
    t = TaggedTensor([1.0, 2.0])
    t.tag = "kept"
    u = pickle.loads(pickle.dumps(t))
    assert type(u) is TaggedTensor and u.tag == "kept" and u.tolist() == [1.0, 2.0]
    got = tt.load(_saved({"t": t}), weights_only=False)["t"]  # pickled (not a plain Tensor)
    assert type(got) is TaggedTensor and got.tag == "kept"


def test_unpicklable_is_refused_before_writing(tmp_path):
    # pickle's own error class (a local function: AttributeError, as in PyTorch)
    with pytest.raises((pickle.PicklingError, AttributeError), match="tt.save"):
        tt.save({"f": lambda: 0}, tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()


def test_a_refused_file_runs_nothing(tmp_path):
    marker = tmp_path / "ran"

    class Plant:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    buf = _saved([Plant()])
    assert S.get_unsafe_globals_in_checkpoint(buf) == ["io.open"]
    buf.seek(0)
    with pytest.raises(WeightsOnlyUnpicklingError, match="io.open"):
        tt.load(buf)
    assert not marker.exists()
    buf.seek(0)
    tt.load(buf, weights_only=False)[0].close()  # the trusted path does run it
    assert marker.exists()


def test_nn_modules_import_paths_numpy():
    from tinytensor.nn.modules.batchnorm import BatchNorm2d, LazyBatchNorm2d
    from tinytensor.nn.modules.container import Sequential
    from tinytensor.nn.modules.conv import Conv2d
    from tinytensor.nn.modules.linear import Linear
    from tinytensor.nn.modules.loss import CrossEntropyLoss
    from tinytensor.nn.modules.module import Module
    from tinytensor.nn.modules.rnn import LSTM

    assert (Linear, Conv2d, BatchNorm2d, LazyBatchNorm2d, Sequential, CrossEntropyLoss, LSTM,
            Module) == (nn.Linear, nn.Conv2d, nn.BatchNorm2d, nn.LazyBatchNorm2d, nn.Sequential,
                        nn.CrossEntropyLoss, nn.LSTM, nn.Module)  # fmt: skip
    with pytest.raises(AttributeError, match="not provided by tinytensor"):
        nn.modules.normalization.CrossMapLRN2d
    # allowlisting by the nn.modules path is the same class
    S.add_safe_globals([nn.modules.linear.Linear])
    assert isinstance(tt.load(_saved(nn.Linear(2, 2))), nn.Linear)


@pytest.mark.torch
def test_nn_modules_files_have_torchs_names():
    import importlib
    import pkgutil

    torch = pytest.importorskip("torch")
    for info in pkgutil.iter_modules(torch.nn.modules.__path__):
        try:
            ours = importlib.import_module(f"tinytensor.nn.modules.{info.name}")
        except ImportError:
            continue
        theirs = importlib.import_module(f"torch.nn.modules.{info.name}")
        for name in theirs.__all__:
            if name in nn.NOT_PLANNED or not hasattr(torch.nn, name):
                continue  # (the module-global hook registrars are not in torch.nn either)
            assert getattr(ours, name) is getattr(nn, name), f"{info.name}.{name}"


def _net(lib, name):
    """A two-layer model class of ``lib``, made importable from this module (for pickle)."""

    def __init__(self):
        lib.nn.Module.__init__(self)
        self.fc = lib.nn.Linear(2, 2)
        self.bn = lib.nn.BatchNorm1d(2)

    cls = type(name, (lib.nn.Module,), {"__init__": __init__, "__module__": __name__})
    globals()[name] = cls
    return cls


@pytest.mark.torch
def test_weights_only_refuses_what_torch_refuses():
    """The same model saved by both libraries: torch.load and tt.load (weights_only=True) both
    refuse it, and list the same classes (module paths aside) as unsafe."""
    torch = pytest.importorskip("torch")
    TorchNet = _net(torch, "TorchNet")
    TTNet = _net(tt, "TTNet")
    tbuf = io.BytesIO()
    torch.save(TorchNet(), tbuf)
    tbuf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(tbuf)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        tt.load(_saved(TTNet()))
    tbuf.seek(0)
    theirs = [
        g.rsplit(".", 1)[1] for g in torch.serialization.get_unsafe_globals_in_checkpoint(tbuf)
    ]
    ours = [g.rsplit(".", 1)[1] for g in S.get_unsafe_globals_in_checkpoint(_saved(TTNet()))]
    assert sorted(n.replace("TorchNet", "Net") for n in theirs) == sorted(
        n.replace("TTNet", "Net") for n in ours
    )
    # a state dict loads under weights_only in both
    sd = tt.load(_saved(TTNet().state_dict()))
    tbuf2 = io.BytesIO()
    torch.save(TorchNet().state_dict(), tbuf2)
    tbuf2.seek(0)
    assert list(sd) == list(torch.load(tbuf2))


def test_corrupt_pickle_member_is_a_clear_error(tmp_path):
    path = tmp_path / "m.pt"
    tt.save(nn.Linear(2, 2), path)
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    # the pickle is the last array written; cut it short
    key = max((n for n in members if n.startswith("a")), key=lambda n: int(n[1:-4]))
    arr = np.load(io.BytesIO(members[key]))
    out = io.BytesIO()
    np.save(out, arr[: len(arr) // 2])
    members[key] = out.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    for wo in (True, False):
        with pytest.raises(SerializationError, match=str(path).replace("\\", "\\\\")):
            tt.load(path, weights_only=wo)
