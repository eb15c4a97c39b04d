"""MP4 video through an ffmpeg process fed the canvas's raw RGBA pixels, holds as in the GIF."""
import os
import subprocess
import tempfile

from matplotlib import animation


class VideoError(Exception):
    """ffmpeg is missing, failed, or wrote no video: one line, quoting ffmpeg's last word."""


class VideoWriter(animation.AbstractMovieWriter):
    """A matplotlib movie writer that pipes the canvas as it stands into ffmpeg's H.264 encoder.

    The first frame is shown for `first` seconds and the last for `hold` more, as in the GIF,
    by sending them again. ffmpeg's messages go to a temporary file, not to the terminal.
    """

    def __init__(self, fps, hold=0.0, first=0.0, ffmpeg="ffmpeg"):
        super().__init__(fps=fps)
        self.ffmpeg = ffmpeg
        self.first = max(1, round(first * fps))        # frames the first frame is shown
        self.hold = round(hold * fps)                   # frames added to the last frame's

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi)
        width, height = fig.canvas.get_width_height()
        command = [self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{width}x{height}",
                   "-r", str(self.fps), "-i", "pipe:0",
                   # yuv420p, which every player reads, needs even sides
                   "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",
                   "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                   "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
                   "-f", "mp4", os.fspath(outfile)]
        self.messages = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                            stdout=subprocess.DEVNULL, stderr=self.messages)
        except OSError as error:
            self.messages.close()
            raise VideoError(f"cannot run {self.ffmpeg}: {error.strerror or error}; "
                             "write a .gif instead") from None
        self.last = None
        self.count = 0
        self.clock, self.sent = 0.0, 0     # centiseconds grabbed, frames sent

    def grab_frame(self, delay=None, **savefig_kwargs):
        """Add the canvas as it stands, for `delay` centiseconds (default: 1 / fps), sent as
        often as the video's frames that fall in that time."""
        self.last = bytes(self.fig.canvas.buffer_rgba())
        self.clock += 100 / self.fps if delay is None else delay
        due = round(self.clock * self.fps / 100) - self.sent
        if self.count == 0:
            due = self.first
            self.clock = 100 * self.first / self.fps
        self._send(self.last, due)
        self.sent += due
        self.count += 1

    def _send(self, pixels, times):
        try:
            for _ in range(times):
                self.process.stdin.write(pixels)
        except BrokenPipeError:         # ffmpeg stopped early: finish() says why
            pass

    def finish(self):
        if self.last is not None:
            self._send(self.last, self.hold)
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        status = self.process.wait()
        self.messages.seek(0)
        lines = [line.strip() for line in
                 self.messages.read().decode("utf-8", "replace").splitlines() if line.strip()]
        self.messages.close()
        said = f": {lines[-1]}" if lines else ""
        if status != 0:
            raise VideoError(f"ffmpeg failed (exit status {status}){said}")
        if not os.path.exists(self.outfile) or os.path.getsize(self.outfile) == 0:
            raise VideoError(f"ffmpeg exited without writing a video{said}")

    def abort(self):
        """Stop ffmpeg: the drawing failed before finish()."""
        if getattr(self, "process", None) is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.messages.close()
