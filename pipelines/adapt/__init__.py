"""Force adapters: turn a force's raw records-system export into a canonical extract.

`mapping.py` reads and checks a mapping file, `parsers.py` generates the SQL that cleans,
parses and maps each column, `adapter.py` runs it in DuckDB and writes the extract and its
coverage report, and `sample.py` writes canonical data in three raw styles (the mapping of the
generated one is `styles/MIDLE.toml`).
"""
