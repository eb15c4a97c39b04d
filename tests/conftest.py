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


def drawn(scene, k, gid):
    """The moving artists that frame k of a scene draws (as scene.draw_frame draws them) tagged
    `gid`: a whole gid ("ball 0") or one without its group's number ("tally"), whatever the
    order of the scene's updates."""
    return [artist for update in scene.updates for artist in update(k)
            if gid in (artist.get_gid(), (artist.get_gid() or "").rpartition(" ")[0])]
