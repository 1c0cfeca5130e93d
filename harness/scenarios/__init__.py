"""Scenario files: a module plus host-side steps on its linear memory.

- :mod:`.format`: loading and validating files (format v1 and its extensions)
- :mod:`.requirements`: what a scenario needs of a runtime
- :mod:`.on_model`: the reference model's run (the observations a runtime should report)
- :mod:`.on_runtime`: a runtime's run, in its long-lived driver process
- :mod:`.verdict`: judging a runtime's observations against the reference and ``expect``
- :mod:`.update`: ``--update``, pinning the reference's observations as ``expect``
"""
