"""``.wast`` spec scripts: reading them, and running them on the reference model and on runtimes.

- :mod:`.sexpr`: S-expressions as the text format writes them
- :mod:`.literals`: the text format's number literals, exact and bounded
- :mod:`.script`: the script's commands, with exact literals
- :mod:`.signatures`: every action checked against the export it calls, before anything runs
- :mod:`.on_model`: every command on the reference model (and malformed text on wabt)
- :mod:`.malformed`: wabt's rejections of malformed text, remembered across runs
- :mod:`.on_runtime`: every command on a JavaScript runtime (``js/wast_driver.js``)
- :mod:`.replay`: the script's state in a runtime's driver, built again after a restart
"""
