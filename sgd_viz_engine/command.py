"""The installed command sgd-viz: sgd_viz.main, named as invoked, with Ctrl-C while the
libraries load stopping it quietly, as `python sgd_viz.py` does.

pip's wrapper imports its function before calling it: this module imports nothing heavy, so
that the handler is set before sgd_viz loads numpy and matplotlib."""
import os
import signal
import sys


def main():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    import sgd_viz

    return sgd_viz.main(prog=os.path.basename(sys.argv[0]))
