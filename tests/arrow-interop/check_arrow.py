#!/usr/bin/env python3
"""Interop check of `weightless export-arrow` output, with pyarrow and numpy only (no Weightless code).

    python3 check_arrow.py MODEL.arrow DECOMPRESSED.safetensors [--decode-limit N]

MODEL.arrow is what `weightless export-arrow` wrote; DECOMPRESSED.safetensors is what `weightless
decompress` restored from the same Weightless file. The script checks, for every tensor:
  1. names, dtypes and shapes (record batches, in order) equal the decompressed file's header;
  2. BF16 tensors stored as Huffman: the sign|mantissa plane from Arrow joined with the exponent plane
     taken from the decompressed BF16 values reproduces those values bit for bit (FORMAT.md's formula);
  3. the same tensors decoded entirely from the Arrow columns (code table, chunk index, exponent
     stream, FORMAT.md), without the decompressed file, for tensors of at most --decode-limit weights
     (default: all): exponents, chunk bit lengths, zero padding and the CRC32C column all agree;
  4. raw and passthrough tensors: the data column equals the decompressed bytes, CRC32C included.
Exit status 0 only if every check passes; the last line says PASS or FAIL with counts.
"""
import argparse
import json
import struct
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    CRC_TABLE.append(_c)
CRC_TABLE_NP = np.array(CRC_TABLE, dtype=np.uint32)


def crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli), reflected, as FORMAT.md specifies; table-driven, byte at a time."""
    crc = 0xFFFFFFFF
    table = CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])  # json keeps the header's order
    header.pop("__metadata__", None)
    return header, memoryview(blob)[8 + n:]


def code_lengths(table: bytes):
    """Nibbles: symbol 2k in the low nibble of byte k, 2k+1 in the high nibble."""
    lengths = [0] * 256
    for k, b in enumerate(table):
        lengths[2 * k] = b & 0xF
        lengths[2 * k + 1] = b >> 4
    return lengths


def decode_table(lengths):
    """Canonical codes in (length, symbol) order from 0, stored bit-reversed; a table on the next L bits."""
    used = sorted((l, s) for s, l in enumerate(lengths) if l > 0)
    if len(used) == 1:
        return None, 0, used[0][1]
    max_len = max(l for l, _ in used)
    kraft = sum(1 << (max_len - l) for l, _ in used)
    if kraft != 1 << max_len:
        raise ValueError("code lengths are not a complete prefix code")
    table = [None] * (1 << max_len)
    code, prev = 0, used[0][0]
    for l, s in used:
        code <<= (l - prev)
        prev = l
        rev = int(format(code, "0%db" % l)[::-1], 2)
        for hi in range(1 << (max_len - l)):
            table[rev | (hi << l)] = (s, l)
        code += 1
    return table, max_len, None


def decode_exponents(n, chunk_symbols, group_chunks, table_bytes, index, exp):
    lengths = code_lengths(table_bytes)
    table, max_len, single = decode_table(lengths)
    chunks = -(-n // chunk_symbols)
    groups = -(-chunks // group_chunks)
    if len(index) != 8 * groups + 2 * chunks:
        raise ValueError("index has %d bytes, %d expected" % (len(index), 8 * groups + 2 * chunks))
    group_offsets = np.frombuffer(index, dtype="<u8", count=groups)
    chunk_bits = np.frombuffer(index, dtype="<u2", count=chunks, offset=8 * groups)
    out = np.empty(n, dtype=np.uint8)
    if single is not None:
        if chunk_bits.any():
            raise ValueError("a single-symbol code spends no bits")
        out[:] = single
        return out, 0
    bits = np.unpackbits(np.frombuffer(exp, dtype=np.uint8), bitorder="little")
    total = int(group_offsets[-1]) + int(chunk_bits[(groups - 1) * group_chunks:].sum(dtype=np.int64))
    if bits[total:].any():
        raise ValueError("nonzero padding after the exponent stream")
    if len(exp) != 8 * (-(-total // 64) + 1):
        raise ValueError("exponent stream has %d bytes for %d bits" % (len(exp), total))
    # window[p] = the next max_len bits from bit p, least significant first
    padded = np.concatenate([bits, np.zeros(max_len, dtype=np.uint8)]).astype(np.int64)
    window = np.zeros(len(bits), dtype=np.int64)
    for j in range(max_len):
        window |= padded[j:j + len(bits)] << j
    window = window.tolist()
    k = 0
    for g in range(groups):
        pos = int(group_offsets[g])
        for c in range(g * group_chunks, min(chunks, (g + 1) * group_chunks)):
            start = pos
            m = min(chunk_symbols, n - c * chunk_symbols)
            for _ in range(m):
                s, l = table[window[pos]]
                out[k] = s
                k += 1
                pos += l
            if pos - start != int(chunk_bits[c]):
                raise ValueError("chunk %d decodes with %d bits, the index says %d" % (c, pos - start, int(chunk_bits[c])))
    return out, total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("arrow")
    ap.add_argument("decompressed")
    ap.add_argument("--decode-limit", type=int, default=-1, help="decode only tensors of at most N weights from the Arrow columns (-1: all)")
    args = ap.parse_args()

    header, data = read_safetensors(args.decompressed)
    names = list(header.keys())
    reader = ipc.open_file(args.arrow)
    meta = {k.decode(): v.decode() for k, v in (reader.schema.metadata or {}).items()}
    print("pyarrow %s, numpy %s; %s: %d record batches, layout %s, format %s" % (
        pa.__version__, np.__version__, args.arrow, reader.num_record_batches,
        meta.get("weightless.arrow.layout"), meta.get("weightless.format")))
    failures, checks, decoded = [], 0, 0

    def check(ok, what):
        nonlocal checks
        checks += 1
        if not ok:
            failures.append(what)
            print("FAIL:", what)

    check(reader.num_record_batches == len(names), "%d batches for %d tensors" % (reader.num_record_batches, len(names)))
    for i in range(min(reader.num_record_batches, len(names))):
        batch = reader.get_batch(i)
        row = {f: batch.column(f)[0].as_py() if f not in ("code", "index", "exp", "sm", "data") else batch.column(f)[0]
               for f in batch.schema.names}
        name, dtype, shape, codec = row["name"], row["dtype"], row["shape"], row["codec"]
        h = header[names[i]]
        check(name == names[i] and dtype == h["dtype"] and list(shape) == h["shape"],
              "batch %d: %s %s%s against the header's %s %s%s" % (i, name, dtype, shape, names[i], h["dtype"], h["shape"]))
        begin, end = h["data_offsets"]
        original = bytes(data[begin:end])
        if codec == "huffman":
            n = int(np.prod(shape, dtype=np.int64))
            values = np.frombuffer(original, dtype="<u2")
            sm = np.frombuffer(row["sm"].as_buffer(), dtype=np.uint8)
            check(len(sm) == n, "%s: sign|mantissa plane has %d bytes for %d weights" % (name, len(sm), n))
            exponents = ((values >> 7) & 0xFF).astype(np.uint16)  # the exponent plane, from the decompressed values
            s16 = sm.astype(np.uint16)
            joined = ((s16 & 0x80) << 8) | (exponents << 7) | (s16 & 0x7F)
            check(np.array_equal(joined, values), "%s: sign|mantissa plane + exponent plane != BF16 values" % name)
            if args.decode_limit < 0 or n <= args.decode_limit:
                try:
                    e, _ = decode_exponents(n, row["chunk_symbols"], row["group_chunks"], row["code"].as_py(),
                                            row["index"].as_py(), row["exp"].as_py())
                    check(np.array_equal(e, exponents.astype(np.uint8)), "%s: exponents decoded from Arrow differ" % name)
                    rebuilt = (((s16 & 0x80) << 8) | (e.astype(np.uint16) << 7) | (s16 & 0x7F)).astype("<u2").tobytes()
                    check(rebuilt == original, "%s: BF16 decoded from Arrow alone differs" % name)
                    check(crc32c(rebuilt) == row["crc32c"], "%s: CRC32C of the decoded tensor != crc32c column" % name)
                    decoded += 1
                except ValueError as err:
                    check(False, "%s: %s" % (name, err))
        else:
            stored = row["data"].as_py()
            check(stored == original, "%s: %s data column differs from the decompressed bytes" % (name, codec))
            check(crc32c(stored) == row["crc32c"], "%s: CRC32C != crc32c column" % name)
    status = "PASS" if not failures else "FAIL"
    print("%s: %d checks, %d failed; %d tensors; %d Huffman tensors decoded from the Arrow columns alone" % (
        status, checks, len(failures), len(names), decoded))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
