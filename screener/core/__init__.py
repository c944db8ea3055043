"""The core: the intake model and its validation, the condition language, the rulebook and its
loader, the engines, facts, the questionnaire and the screening that ties them together.
Imports nothing from `io` or `ui`.
"""
