"""Input and output: reading intake files (CSV, JSON Lines, mapping files), batch scoring in
worker processes, batch output, and the signals that end a run. Imports `core`, never `ui`.
"""
