"""What the machine runs well: its CPU's vector and bf16 capabilities, and the training
precision that follows from them (``trainer.precision=auto``).

bf16 autocast pays only where the device multiplies bf16 matrices in hardware (CUDA with
bf16, a CPU with AVX512-BF16 or AMX, an Arm CPU with the BF16 extension). Elsewhere
PyTorch's CPU bf16 matmul falls back to a path dozens of times slower than float32 (see
docs/results.md), and autocast sends every Linear layer there.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass
from functools import cache

import torch

log = logging.getLogger(__name__)

AUTO = "auto"
BF16 = "bf16-mixed"
FLOAT32 = "32-true"


def _torch_cpu_flag(name: str) -> bool:
    check = getattr(torch.cpu, name, None)  # private probes; absent in older torch
    return bool(check()) if check is not None else False


def _cpuinfo() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


@dataclass(frozen=True)
class CPU:
    model: str
    avx512: bool
    native_bf16: str | None  # the feature that runs bf16 natively (None: emulated)

    def describe(self) -> str:
        """One line for logs and benchmark headers, e.g. ``AMD EPYC (AVX2, no AVX-512,
        no native bf16)``."""
        isa = torch.backends.cpu.get_cpu_capability()
        avx512 = "AVX-512" if self.avx512 else "no AVX-512"
        bf16 = f"native bf16: {self.native_bf16}" if self.native_bf16 else "no native bf16"
        return f"{self.model} ({isa}, {avx512}, {bf16})"


@cache
def cpu() -> CPU:
    """This machine's CPU, read once."""
    info = _cpuinfo()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in info.splitlines()
            if line.startswith(("model name", "Model name", "Hardware"))
        ),
        platform.processor() or platform.machine(),
    )
    if _torch_cpu_flag("_is_amx_tile_supported"):
        bf16 = "AMX"
    elif _torch_cpu_flag("_is_avx512_bf16_supported"):
        bf16 = "AVX512-BF16"
    elif platform.machine() in ("aarch64", "arm64") and " bf16" in info:
        bf16 = "Arm BF16"
    else:
        bf16 = None
    return CPU(model=model, avx512=_torch_cpu_flag("_is_avx512_supported"), native_bf16=bf16)


def device_type(accelerator: object) -> str:
    """The device Lightning will train on for ``trainer.accelerator``: cuda, mps or cpu
    (``auto`` and ``gpu`` in Lightning's order: CUDA, then Apple MPS, then the CPU)."""
    name = str(accelerator).lower()
    if name in ("auto", "gpu", "cuda") and torch.cuda.is_available():
        return "cuda"
    if name in ("auto", "gpu", "mps") and torch.backends.mps.is_available():
        return "mps"
    return "cpu" if name in ("auto", "cpu") else name


def native_bf16(device: str) -> tuple[bool, str]:
    """(whether ``device`` multiplies bf16 natively, the reason in words)."""
    if device == "cuda":
        try:
            native = torch.cuda.is_bf16_supported(including_emulation=False)
        except TypeError:  # torch without the argument counts emulation as support
            native = torch.cuda.get_device_capability()[0] >= 8
        name = torch.cuda.get_device_name()
        return native, f"{name} {'runs' if native else 'has no'} native bf16"
    if device == "cpu":
        feature = cpu().native_bf16
        if feature:
            return True, f"this CPU runs bf16 natively ({feature})"
        return False, "this CPU has no native bf16"
    return False, f"bf16 autocast on {device} is not assumed fast"


def resolve_precision(precision: object, accelerator: object) -> tuple[object, str]:
    """``trainer.precision`` as Lightning takes it, and why: ``auto`` becomes bf16-mixed
    where the device runs bf16 natively, else 32-true; any other value is kept."""
    if precision != AUTO:
        return precision, "set by trainer.precision"
    native, why = native_bf16(device_type(accelerator))
    return (BF16 if native else FLOAT32), why


def warn_if_emulated(precision: object, accelerator: object) -> None:
    """bf16 asked for by name on a CPU that only emulates it still runs (an explicit value
    wins), but the user hears what it costs."""
    if "bf16" not in str(precision) or device_type(accelerator) != "cpu":
        return
    native, why = native_bf16("cpu")
    if not native:
        log.warning(
            "trainer.precision=%s, but %s: its matrix products run many times slower than "
            "in float32; trainer.precision=auto picks what this machine runs fast",
            precision,
            why,
        )
