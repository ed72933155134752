"""The benchmark harness: `python bench/run.py` writes bench/RESULTS.md.

run.py parses options and orchestrates; catalog.py names the methods; datasets.py
makes the data and its checksum; databases.py prepares and checks the bench
databases; session.py runs the methods on one database; process.py times child
processes through _measure.py; results.py, targets.py, machine.py and report.py hold,
judge and format the figures. Each method lives in methods/ and runs as its own
process, with settings.py as its Django settings.
"""
