"""The article's two examples, reproduced exactly: its figures, its programs, and the report.

- :mod:`.examples`: the examples, run on Node and on the model, compared with the article
- :mod:`.report`: the terminal table and the ``--json`` document of a reproduction
"""
