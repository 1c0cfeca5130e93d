"""The ``linmem`` command line.

Exit status: 0 everything agrees, 1 a difference, 2 bad input or setup
(nothing was compared), 3 an internal error (a bug in linmem). Errors print
as one line (plus wabt's caret excerpt for WAT errors), never a traceback,
unless ``LINMEM_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Sequence

from . import __version__
from .article.examples import DEMO, EXAMPLES, SUM, ExampleResult, compare_example
from .article.report import render_terminal, result_document, write_json
from .case import Case, CaseKind, exit_status
from .compiler.wabt import Compiler, check_features, load_module_bytes
from .errors import (
    EXIT_AGREE,
    EXIT_BAD_INPUT,
    EXIT_DIFFERENCE,
    EXIT_INTERNAL,
    HarnessError,
    InputError,
    WasmDecodeError,
)
from .interrupts import handling_signals, received, signum_of
from .model import UnsupportedInstruction, decode_module
from .model.versions import DEFAULT_VERSION, SpecVersion, parse_spec_version
from .outputs import check_output_path, write_output
from .pipeline.collect import collect
from .pipeline.model_pool import MODEL_TIMEOUT, ModelPool, parse_model_timeout
from .pipeline.run import Inputs, RunInterrupted, load_inputs, run_inputs
from .pipeline.targets import SCENARIO_TIMEOUT, check_specs, resolve_specs
from .reports import ReportPaths, check_report_paths, write_reports
from .reports.terminal import render_runtimes, render_table
from .resources import require_own_files
from .runtimes import provision
from .runtimes.discovery import (
    Runtime,
    find_compiler_node,
    find_node,
    installed_runtimes,
)
from .runtimes.probes import probe_features
from .runtimes.process import debug_enabled, kill_every_child, live_children
from .scenarios.suite import PreparedScenario
from .scenarios.update import update_expectations
from .scenarios.verdict import Reference
from .wast import model_process


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="linmem", description=(
        "Conformance harness for WebAssembly linear memory: runs modules and their JavaScript glue "
        "on real Node.js and compares every value with a Python reference model."))
    parser.add_argument("--version", action="version", version=f"linmem {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    reproduce = commands.add_parser("reproduce", help="reproduce the article's two examples exactly")
    _add_node_option(reproduce)
    reproduce.add_argument("--json", type=Path, metavar="FILE", help="write the whole result as JSON")
    reproduce.add_argument("--demo", metavar="MODULE", default=display_path(DEMO.wat_path),
                           help="the demo module (.wat or .wasm; default: %(default)s)")
    reproduce.add_argument("--sum", metavar="MODULE", default=display_path(SUM.wat_path),
                           help="the sum module (.wat or .wasm; default: %(default)s)")
    reproduce.set_defaults(handler=command_reproduce)

    run = commands.add_parser("run", help="run scenario files and .wast scripts on runtimes and on the reference model")
    run.add_argument("paths", nargs="+", metavar="PATH",
                     help="scenario files, .wast scripts, JS API test files (*.any.js), or directories to search")
    run.add_argument("--node", action="append", default=[], metavar="SPEC",
                     help="a runtime to run on: a path, a Node major or version, system, deno, bun, default, "
                          "or reference (the reference model alone); repeatable (default: LINMEM_NODE, "
                          "the embedded Node 24)")
    run.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON (contract shape)")
    run.add_argument("--junit", type=Path, metavar="FILE", help="write the report as JUnit XML")
    run.add_argument("--html", type=Path, metavar="FILE", help="write the matrix as a self-contained HTML page")
    run.add_argument("--markdown", type=Path, metavar="FILE", help="write the matrix as a Markdown table")
    run.add_argument("--timeout", default=f"{SCENARIO_TIMEOUT:g}", metavar="SECONDS",
                     help="how long one scenario or one .wast command may take on a runtime (default: %(default)s)")
    run.add_argument("--model-timeout", default=f"{MODEL_TIMEOUT:g}", metavar="SECONDS",
                     help="how long the reference model may take over one scenario before that scenario's "
                          "reference is a gap (its worker process is killed and replaced; default: %(default)s)")
    run.add_argument("--spec-version", default=DEFAULT_VERSION.value, metavar="VERSION",
                     help="the WebAssembly version whose rules judge .wast scripts on the reference model and "
                          "compile their text: 2.0 or 3.0 (default: %(default)s, the current standard)")
    run.add_argument("--testharness", type=Path, metavar="FILE",
                     help="the testharness.js that JS API test files (*.any.js) run with (default: the one in the "
                          "test's tree, test/harness/ or resources/, else the pinned npm package wpt-runner's)")
    run.add_argument("--update", action="store_true",
                     help="write the reference model's observations as `expect` keys into the files")
    run.set_defaults(handler=command_run)

    runtimes = commands.add_parser("runtimes", help="what runtimes are installed, and what --node can install")
    runtimes.add_argument("--probe", action="store_true", help="also probe each installed runtime's features")
    runtimes.set_defaults(handler=command_runtimes)

    compile_ = commands.add_parser("compile", help="compile a WAT file to a wasm binary with wabt.js")
    compile_.add_argument("source", metavar="FILE.wat")
    compile_.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.wasm")
    compile_.add_argument("--enable", action="append", default=[], metavar="FEATURE",
                          help="a wabt feature flag (threads, memory64, multi_memory, ...); repeatable")
    _add_node_option(compile_)
    compile_.set_defaults(handler=command_compile)
    return parser


def _add_node_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", metavar="SPEC",
                        help="the runtime: a path, a Node major or version, system, deno, bun or default "
                             "(default: LINMEM_NODE, then the embedded Node 24, then PATH)")


def command_reproduce(arguments: argparse.Namespace) -> int:
    """``linmem reproduce``: both examples on Node and on the model, against the article."""
    if arguments.json is not None:
        check_output_path(arguments.json, "--json")
    runtime = find_node(arguments.node)
    results: list[ExampleResult] = []
    with Compiler(find_compiler_node(runtime)) as compiler:
        modules = [load_module_bytes(arguments.demo, compiler), load_module_bytes(arguments.sum, compiler)]
    for module in modules:
        check_decodes(module.wasm_bytes, module.source_name)
    for example, module in zip(EXAMPLES, modules):
        results.append(compare_example(example, module, runtime))
    print(render_terminal(results, runtime, compiler))
    if arguments.json is not None:
        write_json(arguments.json, result_document(results, runtime, compiler))
    failures = [(result.example.name, error) for result in results for error in result.errors]
    for name, error in failures:
        print(f"linmem: error: {name}: {error.one_line()}", file=sys.stderr)
    if failures:
        return EXIT_BAD_INPUT
    return EXIT_AGREE if all(result.agree for result in results) else EXIT_DIFFERENCE


def check_decodes(wasm_bytes: bytes, source_name: str) -> None:
    """Raise :class:`WasmDecodeError` naming the file if the model cannot decode it."""
    try:
        decode_module(wasm_bytes)
    except WasmDecodeError as error:
        error.path = source_name
        raise
    except UnsupportedInstruction as gap:
        raise InputError(f"the reference model cannot run this module: {gap}", path=source_name) from None


def command_run(arguments: argparse.Namespace) -> int:
    """``linmem run``: every case file below the paths, on every target, in one table and one report set."""
    timeout = parse_model_timeout(arguments.timeout, option="--timeout")  # any time limit, despite the name
    model_timeout = parse_model_timeout(arguments.model_timeout)
    version = parse_spec_version(arguments.spec_version)
    reports = ReportPaths(json=arguments.json, junit=arguments.junit, html=arguments.html, markdown=arguments.markdown)
    check_report_paths(reports)  # before the run, not after it
    check_specs(arguments.node)
    testharness = check_testharness(arguments.testharness)
    files = collect(arguments.paths)
    runtimes, wants_reference = resolve_specs(arguments.node)
    compiler_node = find_compiler_node(runtimes[0] if runtimes else find_node(None))
    if runtimes and files.of(CaseKind.WAST):
        model_process.prestart()  # the model's process for the scripts starts while they are read
    try:
        with Compiler(compiler_node) as compiler:
            inputs = load_inputs(files, compiler, scenarios_on_reference=wants_reference, version=version,
                                 testharness=testharness)
            if inputs.jsapi_files and not runtimes:
                count = len(inputs.jsapi_files)
                print(f"linmem: {count} JS API test file{'s' if count != 1 else ''} (*.any.js) not run: they run on "
                      "JavaScript runtimes only, and --node reference alone names none", file=sys.stderr)
            if arguments.update:
                return update_files(inputs, model_timeout)
            cases = run_inputs(inputs, runtimes, compiler, timeout=timeout, model_timeout=model_timeout,
                               progress=True)
    except RunInterrupted as stopped:  # the cases that ran are reported, saying the run was cut short
        _report(stopped.cases, runtimes, reports, version, interrupted=stopped.signal_name)
        raise
    finally:
        model_process.discard_spare()
    _report(cases, runtimes, reports, version)
    return exit_status(cases)


def check_testharness(path: Path | None) -> Path | None:
    """``--testharness FILE`` as an absolute path; a missing file is bad input."""
    if path is None:
        return None
    if not path.is_file():
        raise InputError("no such file (given with --testharness)", path=path)
    return path.resolve()


def _report(cases: list[Case], runtimes: list[Runtime], paths: ReportPaths, version: SpecVersion, *,
            interrupted: str | None = None) -> None:
    """The terminal report, then every report file asked for (all of them, or none changed)."""
    if runtimes:
        print(render_runtimes(runtimes) + "\n")
    print(render_table(cases, interrupted=interrupted, spec_version=version.value), flush=True)
    write_reports(cases, runtimes, paths, interrupted=interrupted, spec_version=version.value)


def update_files(inputs: Inputs, model_timeout: float = MODEL_TIMEOUT) -> int:
    """``--update``: pin the reference's observations into every scenario file (scripts judge themselves)."""
    changed = 0
    with ModelPool(timeout=model_timeout) as model:
        references = [model.submit(item) for item in inputs.scenarios]
        for item, pending in zip(inputs.scenarios, references):
            changed += _update_file(item, pending.result())
    count = len(inputs.scenarios)
    print(f"{changed} of {count} scenario file{'s' if count != 1 else ''} updated")
    if inputs.scripts:
        print(f"{len(inputs.scripts)} .wast script{'s' if len(inputs.scripts) != 1 else ''} left as they are "
              "(a script's own assertions are its expectations)")
    return EXIT_AGREE


def _update_file(item: PreparedScenario, reference: Reference) -> bool:
    """Pin ``reference`` into ``item``'s file; whether the file changed (a gap is said, and changes nothing)."""
    if not reference.complete or reference.document is None:
        print(f"{item.scenario.path}: not updated: {reference.gap}", file=sys.stderr)
        return False
    if not update_expectations(item.scenario, reference.document):
        return False
    print(f"updated {item.scenario.path}")
    return True


def command_runtimes(arguments: argparse.Namespace) -> int:
    """``linmem runtimes``: installed runtimes (where each came from, the default marked) and every spec's state."""
    default = provision.pip_install(provision.DEFAULT_DISTRIBUTION)
    print("installed:")
    for runtime in installed_runtimes():
        is_default = default is not None and Path(runtime.path) == default.binary
        print(f"  {runtime.describe()}{'  [default]' if is_default else ''}")
        if arguments.probe:
            features = probe_features(runtime)
            print("    " + ", ".join(f"{name}={value}" for name, value in sorted(features.items())))
    print("  [default]: the embedded default Node, run without --node and LINMEM_NODE, and by --node default")
    if os.environ.get("LINMEM_NODE"):
        print(f"  LINMEM_NODE={os.environ['LINMEM_NODE']} is set: without --node, linmem runs that instead")
    print("specs for --node SPEC and LINMEM_NODE (what is not installed is provisioned into linmem's cache on first use):")
    hint = f"not installed: python -m pip install {provision.default_package().spec}"
    print(f"  {'default':<8} {'the embedded default Node':<52} {f'installed ({default.describe()})' if default else hint}")
    for spec in [*map(str, provision.MAJORS), "deno", "bun"]:
        package = provision.package_for(spec)
        assert package is not None
        where = provision.installed_from(package)
        state = f"installed ({where})" if where else "not installed"
        if default is not None and where == default.describe():
            state += ", the default"
        print(f"  {spec:<8} {package.describe():<52} {state}")
    print("  system   the node on PATH; a path to any executable; an exact version such as 22.20.0")
    return EXIT_AGREE


def command_compile(arguments: argparse.Namespace) -> int:
    """``linmem compile``: WAT to wasm, written atomically."""
    features = check_features(arguments.enable)
    check_output_path(arguments.output, "-o")
    runtime = find_compiler_node(find_node(arguments.node))
    with Compiler(runtime) as compiler:
        module = compiler.compile_file(arguments.source, features=features)
    write_output(arguments.output, module.wasm_bytes, "-o")
    print(f"{arguments.output}: {len(module.wasm_bytes)} bytes, sha256 {module.sha256}")
    return EXIT_AGREE


def print_error(error: HarnessError) -> None:
    """One line for the error, plus wabt's caret excerpt or a process's stderr tail."""
    print(f"linmem: error: {error.one_line()}", file=sys.stderr)
    if error.detail:
        for line in error.detail.splitlines()[-12:]:
            print(f"  {line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    arguments = build_parser().parse_args(argv)
    already_running = frozenset(live_children())  # a caller's own (main called in-process) are left alone
    # SIGINT, SIGTERM and SIGHUP stop the run, and every child process with it; as a program (no argv
    # given), a second one while the process exits is counted, not raised
    with handling_signals(whole_process=argv is None):
        try:
            status = _run_command(arguments)
        finally:
            kill_every_child(keep=already_running)  # whatever this run started and cut short on the way out
    if argv is None and received():
        _exit_now(status)
    return status


def _exit_now(status: int) -> None:
    """End an interrupted linmem at once, its cleanup done: Python's own shutdown puts the default
    signal handlers back, and a second Ctrl-C arriving then would kill it with the wrong status."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def _run_command(arguments: argparse.Namespace) -> int:
    """The subcommand's exit status; every error and interruption turned into one line and a status."""
    try:
        require_own_files()  # a broken installation says so, before any Node is blamed
        return int(arguments.handler(arguments))
    except HarnessError as error:
        print_error(error)
        return error.exit_code
    except KeyboardInterrupt as interruption:
        signum = signum_of(interruption)
        print(f"linmem: interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:  # the reader (head, less) went away: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_AGREE
    except Exception as bug:  # noqa: BLE001 - the last line of defence against tracebacks
        if debug_enabled():
            traceback.print_exc()
        print(f"linmem: internal error: {type(bug).__name__}: {bug} (this is a bug in linmem; "
              "LINMEM_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
