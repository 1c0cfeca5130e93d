"""The JavaScript runtimes under test: finding, provisioning and probing them, and talking to them.

- :mod:`.discovery`: which Node (or Deno, Bun) to run, every decision logged; its identity
- :mod:`.provision`: runtime specs (``24``, ``22.20.0``, ``deno``, ``bun``): pip's where pip installed them,
  else installed from the registries
- :mod:`.probes`: what each runtime can do, probed once per executable
- :mod:`.process`: every child process, and the long-lived JSON-lines worker
- :mod:`.protocol`: the JSON shapes exchanged with ``js/worker.js``
- :mod:`.engine_errors`: trap kinds recognised from engines' messages
"""
