"""The faces: the command line, the interactive questionnaire, reports on the terminal and in
text, Markdown and JSON, and the rule catalogue. Imports `core` and `io`.
"""
