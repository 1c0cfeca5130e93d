"""What a script has built in a runtime's ``.wast`` driver, and building it again after a restart.

A driver process that hangs (and is killed after ``--timeout``) or crashes is
restarted empty. Without more, every later command of the script would then
fail, on modules the new process never saw. So every request that builds
state (each instantiation, in every form, and each ``register``) is logged,
and after a restart the log is replayed in order: the same modules are
instantiated again, with the same imports, running their start functions and
data and element segments again, and registered under the same names.

What replay cannot bring back is what the script's actions did: an invoke
may have written to a memory, a table or a mutable global. So an invoke
*touches* every module with such state (its own or imported) that is linked
by imports to the module it runs in, either way and transitively (calls and
shared memories, tables and globals cross those links; a module the decoder
cannot read is linked to every module and is assumed to have state). A
module with state instantiated while a module it imports from is touched is
touched too (its start function and segments may have seen the changed
state). After a restart, touched modules are *lost*, and so is every module
importing from a lost one: each later command on one is an ``error`` that
says so ("runtime restarted after a timeout at line 12; state of module $M
(line 3) lost"), never a false failure. Modules with no state (most of the
spec's) and modules nothing touched are rebuilt faithfully and keep running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import HarnessError, ToolTimeout
from ..model.binary import Module

#: the spec's host module: the driver makes a fresh one for every instantiation, so it holds no shared state
SPECTEST = "spectest"


@dataclass(eq=False)
class Held:
    """One module instance the driver holds for the script."""

    line: int
    name: str | None
    decoded: Module | None
    #: the script's modules it imports from, as registered when it was instantiated
    sources: list["Held"] = field(default_factory=list)
    touched: bool = False
    #: why its state is gone, after a restart ("" while it is faithful)
    lost: str = ""

    @property
    def label(self) -> str:
        """``$M (line 3)`` or ``of line 3``."""
        return f"{self.name} (line {self.line})" if self.name else f"of line {self.line}"

    @property
    def imported_modules(self) -> set[str]:
        """The module names it imports from, ``spectest`` aside (everything, when it cannot be decoded)."""
        if self.decoded is None:
            return {"*"}
        return {entry.module for entry in self.decoded.imports if entry.module != SPECTEST}

    @property
    def has_state(self) -> bool:
        """Whether an action can change it: a memory, a table or a mutable global (assumed when undecoded)."""
        module = self.decoded
        if module is None:
            return True
        return bool(module.memory_types() or module.table_types()
                    or any(global_type.mutable for global_type in module.global_types()))


@dataclass
class ScriptState:
    """The driver's state for one script, as requests that rebuild it, and which of it actions touched."""

    #: state-building requests in order: (op, fields)
    log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    named: dict[str, Held] = field(default_factory=dict)
    registered: dict[str, Held | None] = field(default_factory=dict)
    current: Held | None = None

    def logged(self, op: str, fields: dict[str, Any]) -> None:
        """A request that changed the driver's state (it answered, successfully or not)."""
        self.log.append((op, fields))

    def instantiated(self, line: int, name: str | None, decoded: Module | None) -> Held:
        """A module the driver now holds as the current one (and by its name)."""
        held = Held(line, name, decoded)
        held.sources = [source for source in (self.registered.get(module) for module in held.imported_modules)
                        if source is not None]
        held.touched = held.has_state and any(other.touched for other in
                                              (self.held if decoded is None else held.sources))
        self.held.append(held)
        self.current = held
        if name:
            self.named[name] = held
        return held

    def failed_module(self, name: str | None) -> None:
        """A module that did not instantiate: actions on the latest module (or on its name) have nothing to
        run in."""
        self.current = None
        if name:
            self.named.pop(name, None)

    def register(self, as_name: str, module: str | None) -> None:
        """``(register "as" $M?)``."""
        self.registered[as_name] = self.named.get(module) if module else self.current

    def reached(self, module: str | None) -> Held | None:
        """What an action on ``module`` (``None``: the latest) runs in, if the driver holds it."""
        return self.named.get(module) if module else self.current

    def invoking(self, held: Held | None) -> None:
        """An invoke is about to run in ``held``: mark what it may change as touched."""
        if held is None or not (held.has_state or held.imported_modules):
            return
        for linked in self._linked(held):
            linked.touched = linked.touched or linked.has_state

    def _linked(self, start: Held) -> list[Held]:
        """``start`` and every module linked to it by imports, either way, transitively."""
        found, frontier = [start], [start]
        while frontier:
            held = frontier.pop()
            for other in self.held:
                linked = (other in held.sources or held in other.sources
                          or held.decoded is None or other.decoded is None)
                if linked and not any(other is seen for seen in found):
                    found.append(other)
                    frontier.append(other)
        return found

    def lost_import(self, decoded: Module | None) -> str:
        """Why a module importing from lost state cannot be judged (empty when it imports none)."""
        if decoded is None:
            return ""
        for entry in decoded.imports:
            source = self.registered.get(entry.module)
            if source is not None and source.lost:
                return source.lost
        return ""

    def rebuild(self, ask: Callable[..., dict[str, Any]], reason: str) -> None:
        """Replay the log on a fresh driver (``ask`` sends one request); touched modules are lost.

        If the replay itself fails, every module is lost and nothing is left to replay.
        """
        for held in self.held:  # in instantiation order: a module's sources come before it
            if held.touched and not held.lost:
                held.lost = f"runtime restarted after {reason}; state of module {held.label} lost"
            source = next((source for source in held.sources if source.lost), None)
            if source is not None and not held.lost:
                held.lost = f"it imports from a module whose state was lost ({source.lost})"
        try:
            for op, fields in self.log:
                ask(op, **fields)
        except HarnessError as failure:
            for held in self.held:
                held.lost = held.lost or (f"runtime restarted after {reason}; rebuilding module {held.label} "
                                          f"failed: {failure.message}")
            self.log.clear()


def restart_reason(failure: HarnessError, line: int) -> str:
    """How a command ended its driver, for the commands after it: ``a timeout at line 12``, or ``a crash at
    line 12 (node-24.19.0 wast driver exited with signal SIGKILL)``."""
    if isinstance(failure, ToolTimeout):
        return f"a timeout at line {line}"
    return f"a crash at line {line} ({failure.message.split(';')[0]})"
