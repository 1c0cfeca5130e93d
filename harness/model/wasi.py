"""linmem's own WASI preview 1 host, as the reference model runs it.

A minimal host for ``wasi_snapshot_preview1`` (and its predecessor
``wasi_unstable``, whose provided functions have the same core signatures and,
here, the same behaviour): argv, the environment, captured stdout and stderr,
an empty stdin, fixed clocks and a seeded random generator. It is not a real
runtime's WASI: linmem tests memory behaviour, so ``js/wasi.js`` runs the same
host logic on every JavaScript runtime, access for access, and this module
mirrors it. Change one only with the other.

The contract is the WASI preview 1 witx, cited by each function as "witx":
https://github.com/WebAssembly/WASI/blob/e840fe45e63b4f227a29fa87df94ab3bbe3d5efb/legacy/preview1/witx/wasi_snapshot_preview1.witx
(``typenames.witx`` beside it defines errno, rights, fdstat, clockid). The
snapshot 0 witx (``legacy/preview0/witx``) differs, for these functions, only in
``whence``'s numbering, which :meth:`WasiHost.fd_seek` never reads.

Memory access. Every host function reaches memory through one range at a time
(a ``DataView`` or ``Uint8Array`` of exactly that range on the JS side), each
checked whole before any byte of it is read or written, in the order each
function's docstring gives. A range that ends past the memory's current byte
length raises ``JsException("RangeError")``, which is what the JS constructor
throws; the accesses before it keep their effect. Pointers and lengths are
unsigned 32-bit (JS reads the i32 arguments with ``>>> 0``). A function that
needs memory before :meth:`WasiHost.set_memory` raises
``JsException("TypeError")``.

random_get's generator is MT19937 (Matsumoto and Nishimura, ``mt19937ar.c``,
2002) seeded with ``init_by_array([seed])`` for a seed in ``[0, 2**32)``: the
same stream as CPython's ``random.Random(seed).getrandbits(32)``. Each call
draws ``ceil(buf_len / 4)`` words and stores each little-endian, dropping the
unused high bytes of the last one; the stream continues across calls.

>>> from harness.model.memory import Limits, Memory
>>> host = WasiHost(WasiConfig(args=("prog", "-v")))
>>> memory = Memory(Limits(1))
>>> host.set_memory(memory)
>>> host.function("args_sizes_get").call([0, 4]), memory.load(0, 8).hex()
([0], '0200000008000000')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .binary import FuncType
from .memory import Memory
from .store import HostFunction
from .text import TextDecoderModel, encode_utf8
from .traps import JsException

#: the import module names the host answers to
WASI_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")

#: errno values (typenames.witx ``errno``; the same in snapshot 0)
ERRNO_SUCCESS = 0
ERRNO_BADF = 8
ERRNO_INVAL = 28
ERRNO_SPIPE = 70

FILETYPE_CHARACTER_DEVICE = 2  # typenames.witx ``filetype``
RIGHT_FD_READ = 1 << 1  # typenames.witx ``rights``: bit 1
RIGHT_FD_WRITE = 1 << 6  # bit 6; no fd_seek (2) or fd_tell (5): wasi-libc's isatty() then says yes
STDIN, STDOUT, STDERR = 0, 1, 2
#: the clocks clock_time_get and clock_res_get know: realtime, monotonic, process and thread CPU time
CLOCK_COUNT = 4
U32 = 0xFFFFFFFF

_I32, _I64 = "i32", "i64"
#: the core wasm type of every function provided (the witx lowered by the canonical ABI)
SIGNATURES: dict[str, FuncType] = {
    "args_get": FuncType((_I32, _I32), (_I32,)),
    "args_sizes_get": FuncType((_I32, _I32), (_I32,)),
    "clock_res_get": FuncType((_I32, _I32), (_I32,)),
    "clock_time_get": FuncType((_I32, _I64, _I32), (_I32,)),
    "environ_get": FuncType((_I32, _I32), (_I32,)),
    "environ_sizes_get": FuncType((_I32, _I32), (_I32,)),
    "fd_close": FuncType((_I32,), (_I32,)),
    "fd_fdstat_get": FuncType((_I32, _I32), (_I32,)),
    "fd_prestat_dir_name": FuncType((_I32, _I32, _I32), (_I32,)),
    "fd_prestat_get": FuncType((_I32, _I32), (_I32,)),
    "fd_read": FuncType((_I32, _I32, _I32, _I32), (_I32,)),
    "fd_seek": FuncType((_I32, _I64, _I32, _I32), (_I32,)),
    "fd_write": FuncType((_I32, _I32, _I32, _I32), (_I32,)),
    "proc_exit": FuncType((_I32,), ()),
    "random_get": FuncType((_I32, _I32), (_I32,)),
    "sched_yield": FuncType((), (_I32,)),
}
#: the names provided, in the order of ``PROVIDED`` in ``js/wasi.js``
PROVIDED = tuple(SIGNATURES)


@dataclass(frozen=True)
class WasiConfig:
    """What a ``[wasi]`` table configures; sequences are stored as tuples.

    Raises ``TypeError`` or ``ValueError`` for a value ``createWasiHost`` would refuse.
    """

    args: tuple[str, ...] = ("main",)
    env: tuple[tuple[str, str], ...] = ()
    seed: int = 0
    clock_ns: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.args, str) or isinstance(self.env, str):
            raise TypeError("WASI args and env must be sequences, not a string")
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "env", tuple(tuple(pair) for pair in self.env))
        if not all(isinstance(arg, str) for arg in self.args):
            raise TypeError("WASI args must be strings")
        if not all(len(pair) == 2 and all(isinstance(part, str) for part in pair) for pair in self.env):
            raise TypeError("WASI env must be (key, value) pairs of strings")
        for name, value, bits in (("seed", self.seed, 32), ("clock_ns", self.clock_ns, 64)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"WASI {name} must be an integer")
            if not 0 <= value < 1 << bits:
                raise ValueError(f"WASI {name} must be in [0, 2**{bits}), not {value}")


class WasiExit(Exception):
    """``proc_exit(code)``: ends the call that made it; ``code`` is the unsigned exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(f"proc_exit({code})")
        self.code = code


class UnknownWasiFunction(LookupError):
    """A WASI function this host does not provide, named by ``.name``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"linmem's WASI host does not provide {name!r}; it provides {', '.join(PROVIDED)}")
        self.name = name


class Mt19937:
    """MT19937 (``mt19937ar.c``), seeded by ``init_by_array(key)``; 32-bit words from :meth:`next`.

    >>> generator = Mt19937([0x123, 0x234, 0x345, 0x456])  # mt19937ar.out's key
    >>> [generator.next() for _ in range(3)]
    [1067595299, 955945823, 477289528]
    """

    N, M = 624, 397
    MATRIX_A = 0x9908B0DF

    def __init__(self, key: Sequence[int]) -> None:
        state = [19650218] + [0] * (self.N - 1)  # init_genrand(19650218)
        for i in range(1, self.N):
            state[i] = (1812433253 * (state[i - 1] ^ (state[i - 1] >> 30)) + i) & U32
        i, j = 1, 0
        for _ in range(max(self.N, len(key))):
            state[i] = ((state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) * 1664525)) + key[j] + j) & U32
            i, j = i + 1, j + 1
            if i >= self.N:
                state[0], i = state[self.N - 1], 1
            if j >= len(key):
                j = 0
        for _ in range(self.N - 1):
            state[i] = ((state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) * 1566083941)) - i) & U32
            i += 1
            if i >= self.N:
                state[0], i = state[self.N - 1], 1
        state[0] = 0x80000000
        self.state = state
        self.index = self.N

    def _twist(self) -> None:
        state, n, m = self.state, self.N, self.M
        for k in range(n):
            y = (state[k] & 0x80000000) | (state[(k + 1) % n] & 0x7FFFFFFF)
            state[k] = state[(k + m) % n] ^ (y >> 1) ^ (self.MATRIX_A if y & 1 else 0)
        self.index = 0

    def next(self) -> int:
        """The next tempered 32-bit word (``genrand_int32``)."""
        if self.index >= self.N:
            self._twist()
        y = self.state[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)


def _strings_block(strings: Sequence[str]) -> tuple[bytes, list[int]]:
    """The NUL-terminated UTF-8 strings laid end to end, and each one's offset in the block."""
    encoded = [encode_utf8(text) + b"\0" for text in strings]
    offsets, position = [], 0
    for item in encoded:
        offsets.append(position)
        position += len(item)
    return b"".join(encoded), offsets


class WasiHost:
    """One WASI host: its configuration, open stdio descriptors, output and generator.

    Each public method named for a WASI function takes the canonical
    (unsigned) argument values and returns the errno; :meth:`function` wraps
    one as a :class:`HostFunction` to link.
    """

    def __init__(self, config: WasiConfig) -> None:
        self.config = config
        self._args = _strings_block(config.args)
        self._environ = _strings_block([f"{key}={value}" for key, value in config.env])
        self._open = {STDIN, STDOUT, STDERR}
        self._output: dict[int, list[bytes]] = {STDOUT: [], STDERR: []}
        self._generator: Mt19937 | None = None  # made on first use: seeding costs ~2,500 steps
        self._memory: Memory | None = None

    def function(self, name: str) -> HostFunction:
        """The provided function ``name`` to link; :class:`UnknownWasiFunction` for any other."""
        if name not in SIGNATURES:
            raise UnknownWasiFunction(name)
        method: Callable[..., int | None] = getattr(self, name)

        def call(args: list[int]) -> list[int]:
            result = method(*args)
            return [] if result is None else [result]
        return HostFunction(SIGNATURES[name], call)

    def set_memory(self, memory: Memory) -> None:
        """The memory the functions read and write (the instance's export ``memory``)."""
        self._memory = memory

    def take_output(self) -> dict[str, str]:
        """``{"stdout", "stderr"}`` written since the last take, each decoded as ``new TextDecoder("utf-8")`` does."""
        decoder = TextDecoderModel("utf-8")
        taken = {stream: decoder.decode(b"".join(self._output[fd])) for stream, fd in
                 (("stdout", STDOUT), ("stderr", STDERR))}
        self._output = {STDOUT: [], STDERR: []}
        return taken

    # memory, one whole range at a time, as js/wasi.js's views

    def _range(self, address: int, length: int) -> Memory:
        if self._memory is None:
            raise JsException("TypeError", "a WASI function needs memory before setMemory was called")
        if address + length > self._memory.byte_length:
            raise JsException("RangeError", f"WASI: bytes {address}..{address + length} are outside the memory")
        return self._memory

    def _load(self, address: int, length: int) -> bytes:
        return self._range(address, length).load(address, length)

    def _store(self, address: int, data: bytes) -> None:
        self._range(address, len(data)).store(address, data)

    def _store_u32s(self, address: int, values: Sequence[int]) -> None:
        self._store(address, b"".join((value & U32).to_bytes(4, "little") for value in values))

    def _iovecs(self, iovs: int, iovs_len: int) -> list[tuple[int, int]]:
        """The (buf, buf_len) records of an iovec array, its whole range checked first (witx ``iovec``)."""
        table = self._load(iovs, 8 * iovs_len)
        return [(int.from_bytes(table[at:at + 4], "little"), int.from_bytes(table[at + 4:at + 8], "little"))
                for at in range(0, len(table), 8)]

    def _sizes_get(self, block: tuple[bytes, list[int]], count_ptr: int, size_ptr: int) -> int:
        self._store_u32s(count_ptr, [len(block[1])])
        self._store_u32s(size_ptr, [len(block[0])])
        return ERRNO_SUCCESS

    def _strings_get(self, block: tuple[bytes, list[int]], pointers: int, buffer: int) -> int:
        strings, offsets = block
        self._store(buffer, strings)
        self._store_u32s(pointers, [buffer + offset for offset in offsets])
        return ERRNO_SUCCESS

    # the functions, in witx order

    def args_get(self, argv: int, argv_buf: int) -> int:
        """witx ``args_get``: "Read command-line argument data."

        Writes every argument, UTF-8 and NUL-terminated, end to end at
        ``argv_buf`` (one range), then ``argc`` u32 pointers to them at ``argv``
        (one range). It writes no NULL after them: wasi-libc's ``calloc`` of
        ``argc + 1`` pointers provides it.
        """
        return self._strings_get(self._args, argv, argv_buf)

    def args_sizes_get(self, argc_ptr: int, argv_buf_size_ptr: int) -> int:
        """witx ``args_sizes_get``: "Return command-line argument data sizes."

        Stores ``argc`` (u32) at the first pointer, then the bytes
        :meth:`args_get` writes at ``argv_buf`` (u32) at the second.
        """
        return self._sizes_get(self._args, argc_ptr, argv_buf_size_ptr)

    def environ_get(self, environ: int, environ_buf: int) -> int:
        """witx ``environ_get``: "Key/value pairs are expected to be joined with `=`s, and terminated with `\\0`s."

        As :meth:`args_get`, with ``key=value`` strings in the configured order.
        """
        return self._strings_get(self._environ, environ, environ_buf)

    def environ_sizes_get(self, count_ptr: int, buf_size_ptr: int) -> int:
        """witx ``environ_sizes_get``: "Return environment variable data sizes." As :meth:`args_sizes_get`."""
        return self._sizes_get(self._environ, count_ptr, buf_size_ptr)

    def clock_res_get(self, clock_id: int, resolution_ptr: int) -> int:
        """witx ``clock_res_get``: "Return the resolution of a clock."

        1 ns (u64) for the clocks 0 to 3; ``EINVAL`` for any other, writing nothing.
        """
        if clock_id >= CLOCK_COUNT:
            return ERRNO_INVAL
        self._store(resolution_ptr, (1).to_bytes(8, "little"))
        return ERRNO_SUCCESS

    def clock_time_get(self, clock_id: int, precision: int, time_ptr: int) -> int:
        """witx ``clock_time_get``: "Return the time value of a clock."

        The configured ``clock_ns`` (u64) for the clocks 0 to 3, whatever the
        precision; ``EINVAL`` for any other, writing nothing. (Its i64
        parameter needs BigInt integration on the JS side: Node 15+.)
        """
        if clock_id >= CLOCK_COUNT:
            return ERRNO_INVAL
        self._store(time_ptr, self.config.clock_ns.to_bytes(8, "little"))
        return ERRNO_SUCCESS

    def fd_close(self, fd: int) -> int:
        """witx ``fd_close``: "Close a file descriptor."

        Closes an open stdio descriptor (later calls on it are ``EBADF``);
        ``EBADF`` for any descriptor not open.
        """
        if fd not in self._open:
            return ERRNO_BADF
        self._open.discard(fd)
        return ERRNO_SUCCESS

    def fd_fdstat_get(self, fd: int, stat_ptr: int) -> int:
        """witx ``fd_fdstat_get``: "Get the attributes of a file descriptor."

        For open stdio, checks the 24-byte ``fdstat`` range, then writes its
        fields, leaving the padding (bytes 1 and 4 to 7) as it was: filetype
        ``character_device`` (u8 at 0), flags 0 (u16 at 2), base rights
        ``fd_read`` for stdin and ``fd_write`` for stdout and stderr (u64 at
        8), inheriting rights 0 (u64 at 16). ``EBADF`` for any other descriptor.
        """
        if fd not in self._open:
            return ERRNO_BADF
        memory = self._range(stat_ptr, 24)
        rights = RIGHT_FD_READ if fd == STDIN else RIGHT_FD_WRITE
        memory.store(stat_ptr, bytes([FILETYPE_CHARACTER_DEVICE]))
        memory.store(stat_ptr + 2, bytes(2))
        memory.store(stat_ptr + 8, rights.to_bytes(8, "little") + bytes(8))
        return ERRNO_SUCCESS

    def fd_prestat_get(self, fd: int, prestat_ptr: int) -> int:
        """witx ``fd_prestat_get``: "Return a description of the given preopened file descriptor."

        There are no preopens: ``EBADF`` for every descriptor (wasi-libc stops
        scanning at the first ``EBADF`` from 3).
        """
        return ERRNO_BADF

    def fd_prestat_dir_name(self, fd: int, path: int, path_len: int) -> int:
        """witx ``fd_prestat_dir_name``: "Return a description of the given preopened file descriptor."

        No preopens: ``EBADF``, writing nothing.
        """
        return ERRNO_BADF

    def fd_read(self, fd: int, iovs: int, iovs_len: int, nread_ptr: int) -> int:
        """witx ``fd_read``: "Read from a file descriptor. Note: This is similar to `readv` in POSIX."

        stdin is empty: reads the iovec array (one range), checks each buffer's
        range in order, and stores 0 (u32) at ``nread_ptr``. ``EBADF`` for any
        other descriptor, as POSIX ``read`` on one not open for reading.
        """
        if fd != STDIN or fd not in self._open:
            return ERRNO_BADF
        for buf, buf_len in self._iovecs(iovs, iovs_len):
            self._range(buf, buf_len)
        self._store_u32s(nread_ptr, [0])
        return ERRNO_SUCCESS

    def fd_seek(self, fd: int, offset: int, whence: int, newoffset_ptr: int) -> int:
        """witx ``fd_seek``: "Move the offset of a file descriptor."

        ``ESPIPE`` for open stdio (a character device), ``EBADF`` otherwise; it
        never reads ``whence`` (numbered differently in snapshot 0) or memory.
        """
        return ERRNO_SPIPE if fd in self._open else ERRNO_BADF

    def fd_write(self, fd: int, iovs: int, iovs_len: int, nwritten_ptr: int) -> int:
        """witx ``fd_write``: "Write to a file descriptor. Note: This is similar to `writev` in POSIX."

        For open stdout and stderr: reads the ciovec array (one range), copies
        each buffer in order (a bad one raises before anything is captured),
        captures the bytes, then stores their count (u32, modulo 2**32) at
        ``nwritten_ptr``: when that store raises, the output is kept. ``EBADF``
        for any other descriptor (stdin is not open for writing).
        """
        if fd not in (STDOUT, STDERR) or fd not in self._open:
            return ERRNO_BADF
        chunks = [self._load(buf, buf_len) for buf, buf_len in self._iovecs(iovs, iovs_len)]
        self._output[fd].extend(chunks)
        self._store_u32s(nwritten_ptr, [sum(len(chunk) for chunk in chunks)])
        return ERRNO_SUCCESS

    def proc_exit(self, rval: int) -> None:
        """witx ``proc_exit``: "Terminate the process normally." Raises :class:`WasiExit` with ``rval``."""
        raise WasiExit(rval)

    def random_get(self, buf: int, buf_len: int) -> int:
        """witx ``random_get``: "Write high-quality random data into a buffer."

        Checks the range, then fills it from the MT19937 stream (see the
        module docstring): deterministic, not high-quality, on purpose.
        """
        memory = self._range(buf, buf_len)
        if self._generator is None:
            self._generator = Mt19937([self.config.seed])
        words = [self._generator.next() for _ in range((buf_len + 3) // 4)]
        memory.store(buf, b"".join(word.to_bytes(4, "little") for word in words)[:buf_len])
        return ERRNO_SUCCESS

    def sched_yield(self) -> int:
        """witx ``sched_yield``: "Temporarily yield execution of the calling thread." Nothing to yield to: success."""
        return ERRNO_SUCCESS
