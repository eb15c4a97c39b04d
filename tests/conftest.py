"""Make the flat top-level modules importable from the tests; what several test files share."""
import os
import resource
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def full_disk_after():
    """For a child process (preexec_fn): a file may grow to `size` bytes and a write past that
    fails (EFBIG, "File too large"), as it would on a full disk."""
    def after(size):
        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        return limit
    return after
