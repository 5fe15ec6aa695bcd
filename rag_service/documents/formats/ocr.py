"""Reading a page image with Tesseract (Debian's ``tesseract-ocr``), when it is installed.

The command-line program is used rather than a Python binding: it is what the system package ships,
it runs in its own process (a crash or a stall there cannot take the service down; the timeout ends
it), and it needs no further Python package.
"""

from __future__ import annotations

import shutil
import subprocess

OCR_TIMEOUT_S = 120
OCR_DPI = 300


class OcrUnavailable(RuntimeError):
    """Tesseract is not installed, or failed on this image."""


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def read_image(png: bytes, language: str = "eng") -> str:
    """The text Tesseract reads in one PNG image."""
    program = tesseract_path()
    if program is None:
        raise OcrUnavailable("Tesseract is not installed (Debian package tesseract-ocr)")
    try:
        done = subprocess.run(
            [program, "stdin", "stdout", "-l", language, "--dpi", str(OCR_DPI)],
            input=png,
            capture_output=True,
            timeout=OCR_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrUnavailable(f"Tesseract took over {OCR_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrUnavailable(f"Tesseract failed: {message[-1] if message else done.returncode}")
    return done.stdout.decode("utf-8", "replace")
