"""Reports of a run: the terminal table, JSON, JUnit XML, HTML and Markdown."""
