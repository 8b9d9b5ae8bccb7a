"""What the command-line checks of the input adapters share (attributes_check.py, yolo_check.py,
scalabel_check.py, image_size_check.py)."""
import subprocess
import sys


def run(cmd, expect=0):
    """Runs cmd; exits with FAIL, the command and its stderr unless it exits `expect`. Returns the result."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != expect:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode} (expected {expect})\n{r.stderr}")
    return r
