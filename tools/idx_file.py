"""IDX files for the Python tools: one reader, no third-party imports.

read_idx(path) returns (dims, payload bytes) of an unsigned-byte IDX file,
plain or gzip (told by content, as cudanet's reader does), after checking the
magic number and that the payload length matches the dims. Each caller wraps
the bytes in its own array type (torch.frombuffer, numpy.frombuffer).
"""
import gzip
import os
import struct


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: header names {ndim} dims but the file ends inside it")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    payload = raw[4 + 4 * ndim:]
    count = 1
    for d in dims:
        count *= d
    if len(payload) != count:
        raise ValueError(f"{path}: {len(payload)} data bytes, dims {dims} need {count}")
    return dims, payload


def find_file(folder, stem):
    """folder/stem or folder/stem.gz, whichever exists."""
    for name in (stem, stem + ".gz"):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{folder}: no {stem}[.gz]")
