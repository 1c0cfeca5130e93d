"""The real WebAssembly modules of the test suite: npm packages installed and unpacked at test time.

``package.json`` pins them as devDependencies (linmem's users never install
those: :func:`harness.compiler.npm.ensure_installed` omits them). Neither the
packages' modules nor their JavaScript are committed: :func:`extract_all`
installs the devDependencies with the npm bundled with linmem's default Node
(``npm ci``, into the cache, keyed by the lock file's hash, renamed into place
when complete, one installer at a time across pytest-xdist workers) and writes
each module to ``tests/scenarios/real/wasm/NAME.wasm``, taken from a ``.wasm``
file of its package or decoded from the bytes its JavaScript inlines.

``tests/scenarios/real/conftest.py`` calls it when pytest collects that
directory. Outside pytest (for ``linmem run tests/scenarios/real``)::

    python -m tests.real_modules
"""

from __future__ import annotations

import base64
import fcntl
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from harness.compiler.npm import COMPLETE_MARKER, install_into, lock_bytes
from harness.resources import cache_root, sha256_hex, write_atomic
from harness.runtimes.discovery import find_node_default

REAL_DIR = Path(__file__).resolve().parent / "scenarios" / "real"
WASM_DIR = REAL_DIR / "wasm"
WASM_MAGIC = b"\0asm\x01\0\0\0"


class ExtractError(Exception):
    """A package no longer holds its module where and as this file expects."""


def wasm_file(text: bytes) -> bytes:
    """The module is the file itself."""
    return text


def base64_string(text: bytes) -> bytes:
    """The module is the only base64 string literal of the JavaScript that starts as a module does.

    >>> base64_string(b'const A="AGFzbQEAAAA=";function G(){return A}')
    b'\\x00asm\\x01\\x00\\x00\\x00'
    """
    found = re.findall(rb'"(AGFzbQ[A-Za-z0-9+/=]+)"', text)
    if len(found) != 1:
        raise ExtractError(f"expected one inlined base64 module, found {len(found)}")
    return base64.b64decode(found[0])


def byte_array(text: bytes) -> bytes:
    """The module is the first ``Uint8Array.from([0, 97, 115, 109, ...])`` of the JavaScript.

    >>> byte_array(b"export const wasmCode = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0]);")
    b'\\x00asm\\x01\\x00\\x00\\x00'
    """
    found = re.search(rb"Uint8Array\.from\(\[\s*(0,\s*97,\s*115,\s*109[\d,\s]*)\]\)", text)
    if not found:
        raise ExtractError("no inlined byte array starting with the wasm magic")
    return bytes(int(item) for item in found.group(1).split(b","))


def hash_wasm_algorithm(algorithm: str) -> Callable[[bytes], bytes]:
    """hash-wasm's bundle inlines each algorithm as ``var name$N = "ALG"; var data$N = "BASE64";``.

    >>> bundle = b'var name$1 = "md5";\\nvar data$1 = "AQID";\\nvar name$2 = "sha1";\\nvar data$2 = "AGFzbQ==";'
    >>> hash_wasm_algorithm("sha1")(bundle)
    b'\\x00asm'
    """
    def extract(text: bytes) -> bytes:
        names = re.findall(rb'var name(\$\w*) = "(\w+)";', text)
        suffix = next((tag for tag, name in names if name == algorithm.encode()), None)
        found = suffix is not None and re.search(rb"var data" + re.escape(suffix) + rb' = "([A-Za-z0-9+/=]+)";', text)
        if not found:
            raise ExtractError(f"no inlined module for {algorithm}")
        return base64.b64decode(found.group(1))
    return extract


@dataclass(frozen=True)
class RealModule:
    """One module: where it is in which package, and how to get its bytes out."""

    name: str     #: the stem of ``wasm/NAME.wasm``
    package: str  #: the npm package (pinned in package.json)
    path: str     #: the file of the package that holds it
    extract: Callable[[bytes], bytes]

    def bytes_from(self, modules_dir: Path) -> bytes:
        """The module's bytes, read out of the installed package; raises :class:`ExtractError`."""
        source = modules_dir / self.package / self.path
        try:
            wasm_bytes = self.extract(source.read_bytes())
        except (OSError, ExtractError, ValueError) as error:
            raise ExtractError(f"{self.package}/{self.path}: {error}") from None
        if not wasm_bytes.startswith(WASM_MAGIC):
            raise ExtractError(f"{self.package}/{self.path}: what was extracted is not a wasm module")
        return wasm_bytes


MODULES = (
    RealModule("hash-wasm-sha256", "hash-wasm", "dist/index.umd.js", hash_wasm_algorithm("sha256")),
    RealModule("hash-wasm-crc32", "hash-wasm", "dist/index.umd.js", hash_wasm_algorithm("crc32")),
    RealModule("hash-wasm-md5", "hash-wasm", "dist/index.umd.js", hash_wasm_algorithm("md5")),
    RealModule("as-sha256", "@chainsafe/as-sha256", "lib/wasmCode.js", byte_array),
    RealModule("xxhash", "xxhash-wasm", "workerd/xxhash.wasm", wasm_file),
    RealModule("lz4", "lz4-wasm-nodejs", "lz4_wasm_nodejs_bg.wasm", wasm_file),
    RealModule("zstd", "@bokuweb/zstd-wasm", "dist/common/zstd.wasm", wasm_file),
    RealModule("md4w", "md4w", "js/md4w-small.wasm", wasm_file),
    RealModule("cjs-module-lexer", "cjs-module-lexer", "dist/lexer.js", base64_string),
    RealModule("es-module-lexer", "es-module-lexer", "dist/lexer.cjs", base64_string),
    RealModule("es-module-lexer-minimal", "es-module-lexer", "dist/lexer.minimal.cjs", base64_string),
    RealModule("wasi-envvar", "@wasmer/wasi", "tests/envvar.wasm", wasm_file),
    RealModule("wasi-cowsay", "wasi", "example/cowsay.wasm", wasm_file),
)


def _lock_key() -> str:
    return sha256_hex(lock_bytes())[:16]


def install_root() -> Path:
    """Where the devDependencies of the current lock file are installed (beside users' npm side, never in it)."""
    return cache_root() / "npm-dev" / _lock_key()


@contextmanager
def _install_lock(root: Path) -> Iterator[None]:
    """One installer at a time (pytest-xdist workers collect at once); the others wait, then find it done."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{root.name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def install_dev_modules() -> Path:
    """The ``node_modules`` holding the devDependencies, installed first if needed.

    Raises :class:`NpmInstallError` (with npm's stderr) if ``npm ci`` fails.
    """
    root = install_root()
    target = root / "node_modules"
    if (target / COMPLETE_MARKER).is_file():
        return target
    with _install_lock(root):
        if (target / COMPLETE_MARKER).is_file():
            return target
        runtime = find_node_default()
        print(f"linmem tests: installing the real modules' npm packages with the npm bundled with node "
              f"{runtime.version} into {root}", file=sys.stderr, flush=True)
        staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=".install-"))
        try:
            install_into(staging, runtime, dev=True, what="the test suite's devDependencies")
            shutil.rmtree(root, ignore_errors=True)  # a half-made one left by a killed run; we hold the lock
            staging.rename(root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def extract_all(wasm_dir: Path = WASM_DIR) -> dict[str, Path]:
    """Install the packages if needed and write every module to ``wasm_dir/NAME.wasm``; their paths by name.

    A file already holding the right bytes is left alone; a new or changed
    one is written atomically, so a worker reading it never sees half.
    """
    modules_dir = install_dev_modules()
    paths = {}
    for module in MODULES:
        wasm_bytes = module.bytes_from(modules_dir)
        path = wasm_dir / f"{module.name}.wasm"
        if not path.is_file() or path.read_bytes() != wasm_bytes:
            write_atomic(path, wasm_bytes)
        paths[module.name] = path
    return paths


def main() -> None:
    """Extract the modules and list them (for ``linmem run tests/scenarios/real`` outside pytest)."""
    for name, path in extract_all().items():
        print(f"{name:24} {path.stat().st_size:>9,} bytes  {path}")


if __name__ == "__main__":
    main()
