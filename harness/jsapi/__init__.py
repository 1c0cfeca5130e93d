"""The official WebAssembly JS API tests (testharness.js ``*.any.js`` files) as linmem cases.

:mod:`.testfile` finds and reads a test file with its harness and ``// META:
script=`` files; :mod:`.on_runtime` runs it on a JavaScript runtime, one case
per subtest. The reference model does not run JavaScript: these cases exist
on runtimes only.
"""
