"""screener: rule-based risk-factor screening for restless legs syndrome (Willis-Ekbom disease).

A screening aid for clinicians, never a diagnosis.
"""

__version__ = "0.1.0"


def main() -> None:
    """The console script: the command line, where Ctrl-C while its modules load ends quietly (exit 130)."""
    import sys

    try:
        from .cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    command_line()
