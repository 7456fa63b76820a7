"""hardware.py: the CPU's description, and trainer.precision=auto choosing bf16 autocast only
where the device multiplies bf16 natively (near_real's step checked op by op)."""

from __future__ import annotations

import logging

import lightning as L
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from mnist_gan import hardware
from mnist_gan.hardware import CPU, device_type, native_bf16, resolve_precision
from mnist_gan.train import train

MATMULS = {torch.ops.aten.mm, torch.ops.aten.addmm, torch.ops.aten.bmm, torch.ops.aten.matmul}


def pretend_cpu(monkeypatch: pytest.MonkeyPatch, bf16: str | None) -> None:
    """This CPU reports ``bf16`` as its native bf16 feature (None: emulated only)."""
    fake = CPU(model="Test CPU", avx512=bf16 is not None, native_bf16=bf16)
    monkeypatch.setattr(hardware, "cpu", lambda: fake)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.mark.parametrize(
    ("bf16", "expected"), [(None, "32-true"), ("AVX512-BF16", "bf16-mixed"), ("AMX", "bf16-mixed")]
)
def test_auto_takes_bf16_only_on_a_cpu_that_runs_it_natively(monkeypatch, bf16, expected):
    pretend_cpu(monkeypatch, bf16)
    for accelerator in ("auto", "cpu"):
        chosen, why = resolve_precision("auto", accelerator)
        assert chosen == expected
        assert ("no native bf16" in why) == (bf16 is None)


@pytest.mark.parametrize("explicit", ["bf16-mixed", "32-true", "16-mixed"])
def test_an_explicit_precision_wins(monkeypatch, explicit):
    pretend_cpu(monkeypatch, None)
    assert resolve_precision(explicit, "cpu") == (explicit, "set by trainer.precision")


@pytest.mark.parametrize(("native", "expected"), [(True, "bf16-mixed"), (False, "32-true")])
def test_auto_on_cuda_follows_the_device_s_bf16(monkeypatch, native, expected):
    pretend_cpu(monkeypatch, "AMX")  # the CPU's answer must not leak into the GPU's
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: native)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "Test GPU")
    assert device_type("auto") == device_type("gpu") == "cuda"
    assert device_type("cpu") == "cpu"  # an explicit CPU stays the CPU
    chosen, why = resolve_precision("auto", "auto")
    assert chosen == expected and why.startswith("Test GPU")


def test_mps_is_float32_under_auto(monkeypatch):
    pretend_cpu(monkeypatch, "AMX")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert device_type("auto") == "mps"
    assert native_bf16("mps")[0] is False
    assert resolve_precision("auto", "auto")[0] == "32-true"


def test_the_cpu_description_names_model_and_capabilities():
    assert "no native bf16" in CPU("X", False, None).describe()
    described = CPU("X", True, "AMX").describe()
    assert described.startswith("X (") and "native bf16: AMX" in described
    assert "no AVX-512" not in described
    real = hardware.cpu()
    assert real.model and real.describe().startswith(real.model)


class MatmulDtypes(TorchDispatchMode):
    """Records the dtype of every matrix product run while active."""

    def __init__(self) -> None:
        super().__init__()
        self.dtypes: set[torch.dtype] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket in MATMULS:
            self.dtypes.add(out.dtype)
        return out


class RecordMatmuls(L.Callback):
    """The dtypes of the matrix products of every training step (forward and backward,
    R1's double backward included)."""

    def __init__(self) -> None:
        self.mode = MatmulDtypes()

    def on_train_batch_start(self, *_) -> None:
        self.mode.__enter__()

    def on_train_batch_end(self, *_) -> None:
        self.mode.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("bf16", "expected"),
    [(None, "32-true"), pytest.param("AMX", "bf16-mixed", marks=pytest.mark.slow)],
)
def test_near_real_trains_in_float32_where_bf16_is_emulated(
    monkeypatch, make_cfg, tmp_path, caplog, bf16, expected
):
    """near_real asks for auto: without native bf16 every matmul of its step (lazy R1 on the
    first batch included) runs in float32, the precision that is fast there; with native
    bf16, autocast's bf16 products appear. What each costs is measured by
    benchmarks/near_real.py (step cost against no_collapse), not asserted here."""
    pretend_cpu(monkeypatch, bf16)
    cfg = make_cfg("experiment=near_real", "eval.every_n_epochs=0", "trainer.limit_train_batches=2")
    record = RecordMatmuls()
    with caplog.at_level(logging.INFO, logger="mnist_gan.train"):
        train(cfg, [record])
    assert cfg.trainer.precision == expected
    why = "this CPU has no native bf16" if bf16 is None else "this CPU runs bf16 natively (AMX)"
    assert f"precision: {expected} ({why})" in caplog.messages
    if bf16 is None:
        assert record.mode.dtypes == {torch.float32}
    else:
        assert torch.bfloat16 in record.mode.dtypes
