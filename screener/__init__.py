"""screener: rule-based risk-factor screening for restless legs syndrome (Willis-Ekbom disease).

A screening aid for clinicians, never a diagnosis.
"""

__version__ = "0.1.0"


def main() -> None:
    """The console script. Ctrl-C at any moment, even while modules load or click parses the
    arguments, ends with "interrupted" and exit 130, never a traceback (an interrupted import
    inside a C extension can surface as another error: it is still the interruption)."""
    import signal
    import sys

    interrupted = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)
    try:
        from click import Abort, ClickException

        from .ui.cli import main as command_line

        try:
            code = command_line.main(standalone_mode=False)
        except ClickException as exc:
            exc.show()
            code = exc.exit_code
        except Abort as exc:
            if not isinstance(exc.__cause__, KeyboardInterrupt):
                sys.stderr.write("aborted\n")  # end of input at a prompt
                sys.exit(1)
            raise KeyboardInterrupt from None
    except KeyboardInterrupt:
        pass
    except Exception:
        if not interrupted:
            raise
    else:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # done: a late Ctrl-C has nothing left to stop
        sys.exit(code if isinstance(code, int) else 0)
    sys.stderr.write("interrupted\n")
    sys.exit(130)
