"""Kernel config files as the Python parts of scripts/ read them (the shell scripts that embed
them put this directory on sys.path through SCRIPTS_LIB)."""

import gzip
import lzma
import subprocess


def decompress(data):
    """A config's text as bytes, from a file that may be xz, gzip or zstd compressed (by its
    magic bytes) or plain."""
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(data)
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data
