#!/usr/bin/env python3
"""Copies a safetensors file without the named tensors (to make an interop input small enough to carry).

    python3 subset_safetensors.py IN.safetensors OUT.safetensors NAME [NAME ...]
"""
import json
import struct
import sys


def main():
    src, dst, drop = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    with open(src, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])
    data = memoryview(blob)[8 + n:]
    missing = drop - set(header)
    if missing:
        sys.exit("no such tensors: %s" % ", ".join(sorted(missing)))
    out, parts, at = {}, [], 0
    if "__metadata__" in header:
        out["__metadata__"] = header.pop("__metadata__")
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        if name in drop:
            continue
        b, e = t["data_offsets"]
        out[name] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": [at, at + e - b]}
        parts.append(data[b:e])
        at += e - b
    text = json.dumps(out, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for p in parts:
            f.write(p)
    print("%s: %d tensors, %d data bytes" % (dst, len(out) - ("__metadata__" in out), at))


if __name__ == "__main__":
    main()
