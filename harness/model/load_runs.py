"""Runs of loads read at once: a basic block's loads from one base address, fused into one ``unpack_from``.

Real code reads a structure field by field: md5's block function loads the 16
words at ``p``, ``p + 4`` ... ``p + 60`` between its rounds, each an
``unpack_4(memory0.data, (l0 + K) & 4294967295)[0]`` of its own. When nothing
between the first and the last of those loads can write memory or change the
base (only pure arithmetic on locals, and other loads, lie between them),
:func:`fuse_loads` reads the whole run once, where the first of them was
(``w0 = read_run(memory0.data, (l0 + 0) & 4294967295, unpack_4x16, (0, 1, ...), True)``),
and each load takes its word from that tuple: ``s0 = w0[2]``.

When the run cannot be read whole (part of it lies out of bounds, or its
addresses wrap past 2^32), :func:`read_run` reads each word a load takes on its
own, at that load's address; if one of them is out of bounds it gives ``()``,
and the run's first load raises the ``IndexError`` that the body's handler
turns into the trap "out of bounds memory access". That is the trap the loads
would have raised: once the first load of a run runs, all of them do (one
basic block, nothing nested), and what lies between them can neither raise
(integer operators on locals, shift counts masked) nor be observed (locals
only; no store, call or fuel), so which of the run's loads traps first is not
observable, only that one does. When the run is read, every load was in bounds
and the memory unchanged between them, so each word is what its load would
have read.

Only loads that read a whole word of 4 or 8 bytes unsigned
(``unpack_4``/``unpack_8``) from a memory with 32-bit addresses are fused, and
only lines at a block's top level are looked at (anything nested, any call,
store, subscript or attribute access, ends every run).
"""

from __future__ import annotations

import re
import struct
from typing import Any, Callable

#: at most this many words are read by one fused read
MAX_WORDS = 32
#: fewer loads than this are left alone (the read and its tests would cost what they save)
MIN_LOADS = 3
_MASK32 = "4294967295"

#: ``s3 = unpack_4(memory0.data, ADDRESS)[0]``
_LOAD = re.compile(r"(?P<target>s\d+) = unpack_(?P<width>[48])\((?P<memory>memory\d+)\.data, (?P<address>.+)\)\[0\]")
#: the addresses fused: ``l0``, ``(l0 + 8) & 4294967295`` (a wasm i32.add: wraps), ``l0 + 8`` (a memarg offset: does not)
_BASE = re.compile(r"(?P<base>[ls]\d+)")
_WRAPPED = re.compile(r"\((?P<base>[ls]\d+) \+ (?P<offset>\d+)\) & " + _MASK32)
_OFFSET = re.compile(r"(?P<base>[ls]\d+) \+ (?P<offset>\d+)")
#: a line that only computes on locals: ``l1 = ...``/``s2 &= ...`` over locals, constants and operators
_ASSIGNMENT = re.compile(r"[lsr]\d+ (?:[-+&|^]|<<|>>)?= (?P<value>.+)")
_PURE_TOKEN = re.compile(r"[lsr]\d+|\d+|if|else|:=|<<|>>|[-+*&|^~<>=!() ]")
_ASSIGNED = re.compile(r"\b([lsr]\d+) (?::=|(?:[-+&|^]|<<|>>)?=(?!=))")


def read_run(data: Any, address: int, reader: Callable[[Any, int], tuple[int, ...]],
             used: tuple[tuple[int, bool], ...]) -> tuple[int, ...]:
    """The words ``reader`` unpacks from ``data`` at ``address``; ``()`` when one of the loads would trap.

    ``used`` are the words the run's loads take: (index, whether that load's
    address wraps at 2^32). When the run cannot be read whole, each of them is
    read alone, at its own load's address (``address + index * width``, wrapped
    when the load's does): all in
    bounds, the words read (0 for the words no load takes); one out of bounds,
    ``()``, so that the run's first load (``w0[index]``) raises the
    ``IndexError`` that is the trap. The loads of a run all run once the first
    does, with nothing observable between them, so trapping at the first is
    trapping at the one out of bounds.
    """
    try:
        return reader(data, address)
    except (IndexError, struct.error, OverflowError):
        pass
    width = _WIDTHS[reader]
    words = [0] * (max(index for index, _ in used) + 1)
    for index, wraps in used:
        at = address + index * width
        if wraps:
            at &= 0xFFFF_FFFF
        try:
            words[index] = _SINGLE[width](data, at)[0]
        except (IndexError, struct.error, OverflowError):
            return ()
    return tuple(words)


_CODES = {4: "I", 8: "Q"}
#: the readers the generated code names: ``unpack_<width>x<count>``
READERS: dict[str, Callable[[Any, int], tuple[int, ...]]] = {
    f"unpack_{width}x{count}": struct.Struct(f"<{count}{code}").unpack_from
    for width, code in _CODES.items() for count in range(1, MAX_WORDS + 1)}
_WIDTHS = {reader: int(name.split("_")[1].split("x")[0]) for name, reader in READERS.items()}
_SINGLE = {width: struct.Struct(f"<{code}").unpack_from for width, code in _CODES.items()}


def fuse_loads(lines: list[str], memories: frozenset[str], first_name: int) -> tuple[list[str], int]:
    """``lines`` (one basic block) with its runs of loads fused; and the next free ``w`` name number.

    ``memories`` are the names (``memory0``) of the memories with 32-bit addresses.
    """
    runs = _runs(lines, memories)
    if not runs:
        return lines, first_name
    replaced: dict[int, str] = {}
    before: dict[int, str] = {}
    for run in runs:
        name = f"w{first_name}"
        first_name += 1
        width, low = run.width, min(run.offsets.values())
        count = (max(run.offsets.values()) - low) // width + 1
        # any load that does not wrap shows the base exact: read from its sum, which must not wrap either
        wraps_all = all(run.wraps.values())
        start = f"({run.base} + {low}) & {_MASK32}" if wraps_all else f"{run.base} + {low}"
        first = min(run.offsets)
        used = tuple(sorted({((run.offsets[index] - low) // width, run.wraps[index]) for index in run.offsets}))
        before[first] = f"{name} = read_run({run.memory}.data, {start}, unpack_{width}x{count}, {used!r})"
        for index, offset in run.offsets.items():
            target = lines[index].split(" = ", 1)[0]
            replaced[index] = f"{target} = {name}[{(offset - low) // width}]"
    fused: list[str] = []
    for index, line in enumerate(lines):
        if index in before:
            fused.append(before[index])
        fused.append(replaced.get(index, line))
    return fused, first_name


class _Run:
    """Loads of one width from one memory at one base plus offsets (line index -> offset, whether it wraps)."""

    def __init__(self, memory: str, base: str, width: int) -> None:
        self.memory, self.base, self.width = memory, base, width
        self.offsets: dict[int, int] = {}
        self.wraps: dict[int, bool] = {}

    def fits(self, offset: int) -> bool:
        """Whether a load at ``offset`` may join: a whole number of words from the others, within MAX_WORDS."""
        if not self.offsets:
            return True
        offsets = self.offsets.values()
        low, high = min(min(offsets), offset), max(max(offsets), offset)
        return (offset - next(iter(offsets))) % self.width == 0 and (high - low) // self.width < MAX_WORDS


def _runs(lines: list[str], memories: frozenset[str]) -> list[_Run]:
    """The runs worth fusing in ``lines``."""
    done: list[_Run] = []
    open_runs: dict[tuple[str, str, int], _Run] = {}

    def close(keys: list[tuple[str, str, int]]) -> None:
        for key in keys:
            run = open_runs.pop(key)
            if len(run.offsets) >= MIN_LOADS:
                done.append(run)

    for index, line in enumerate(lines):
        load = _LOAD.fullmatch(line)
        address = _fusable_address(load['address']) if load and load['memory'] in memories else None
        if address is not None:
            base, wraps, offset = address
            key = (load['memory'], base, int(load['width']))
            run = open_runs.get(key)
            if run is not None and not run.fits(offset):
                close([key])
                run = None
            if run is None:
                run = open_runs[key] = _Run(*key)
            run.offsets[index], run.wraps[index] = offset, wraps
        elif load is None and not _is_pure(line):
            close(list(open_runs))
            continue
        assigned = set(_ASSIGNED.findall(line))
        close([key for key in open_runs if key[1] in assigned])
    close(list(open_runs))
    return done


def _is_pure(line: str) -> bool:
    """Whether ``line`` assigns a local a value computed from locals and constants alone (no call, no access)."""
    assignment = _ASSIGNMENT.fullmatch(line)
    return assignment is not None and "".join(_PURE_TOKEN.findall(assignment["value"])) == assignment["value"]


def _fusable_address(address: str) -> tuple[str, bool, int] | None:
    """(base local, whether the address wraps at 2^32, offset) of an address a run may take."""
    if _BASE.fullmatch(address):
        return address, True, 0  # an exact local: both kinds of address at offset 0, neither wraps
    wrapped = _WRAPPED.fullmatch(address)
    if wrapped:
        return wrapped['base'], True, int(wrapped['offset'])
    offset = _OFFSET.fullmatch(address)
    if offset:
        return offset['base'], False, int(offset['offset'])
    return None
