"""TEMPORARY placeholder until the wasi branch lands (not committed)."""
from .binary import FuncType
WASI_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")
SIGNATURES: dict[str, FuncType] = {}
class WasiExit(Exception):
    def __init__(self, code): self.code = code
from dataclasses import dataclass
@dataclass(frozen=True)
class WasiConfig:
    args: tuple = ("main",)
    env: tuple = ()
    seed: int = 0
    clock_ns: int = 0
class WasiHost:
    def __init__(self, config): pass
