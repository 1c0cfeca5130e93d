"""JavaScript values as linmem carries, compares and prints them.

- :mod:`.codec`: lossless JSON encoding of JS values (NaN, -0, BigInt, bit patterns)
- :mod:`.compare`: JavaScript's value semantics for comparing observations
- :mod:`.node_inspect`: printing values the way Node's ``console.log`` does
"""
