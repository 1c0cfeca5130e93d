"""Compiling WebAssembly text: the pinned wabt.js in a long-lived Node process, and its npm install.

- :mod:`.wabt`: the compile service and its content-addressed cache
- :mod:`.npm`: the npm side (wabt.js), installed on first use into the cache
"""
