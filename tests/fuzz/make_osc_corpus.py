#!/usr/bin/env python3
# Writes the seed corpus for osc_packet_fuzz into tests/fuzz/corpus/osc/:
# one valid message per OSC type, bundles (empty, flat, nested), a packet
# liblo 0.31 produced, and malformed packets, one per kind of refusal.
# Run by hand when the seeds should change; nothing runs it in the build.
import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "osc"


def s(text):
    data = text.encode("latin-1") + b"\0"
    return data + b"\0" * (-len(data) % 4)


def msg(address, tags, *args):
    return s(address) + s("," + tags) + b"".join(args)


def i32(v):
    return struct.pack(">i", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def blob(data):
    return i32(len(data)) + data + b"\0" * (-len(data) % 4)


def bundle(time, *elements):
    return s("#bundle") + u64(time) + b"".join(i32(len(e)) + e for e in elements)


EVERY = msg("/rtgraph/node/gain", "ifsbhdtScrmTFNI", i32(-5), struct.pack(">f", 0.5), s("abc"),
            blob(b"\1\2\3\4\5"), struct.pack(">q", -7), struct.pack(">d", 2.25), u64(1),
            s("sym"), u32(ord("z")), u32(0xff8000ff), u32(0x00903c7f))

SEEDS = {
    "msg_noargs": msg("/ping", ""),
    "msg_int": msg("/node/osc1/freq", "i", i32(440)),
    "msg_float": msg("/node/osc1/gain", "f", struct.pack(">f", 0.25)),
    "msg_string": msg("/graph/add", "ss", s("sine"), s("osc1")),
    "msg_blob": msg("/state/load", "b", blob(b"\xde\xad\xbe\xef\x01")),
    "msg_int64": msg("/clock", "h", struct.pack(">q", -1234567890123)),
    "msg_double": msg("/tempo", "d", struct.pack(">d", 120.5)),
    "msg_timetag": msg("/at", "t", u64(0x83AA7E8080000000)),
    "msg_symbol_char": msg("/sym", "Sc", s("symbol"), u32(0xE9)),
    "msg_rgba_midi": msg("/colour", "rm", u32(0x11223344), u32(0x00903C7F)),
    "msg_true_false_nil_impulse": msg("/flags", "TFNI"),
    "msg_every_type": EVERY,
    "bundle_empty": bundle(1),
    "bundle_two_messages": bundle(0x83AA7E8000000001, msg("/a", "i", i32(1)),
                                  msg("/b", "s", s("two"))),
    "bundle_nested_3_deep": bundle(100, msg("/m1", "i", i32(1)),
                                   bundle(200, msg("/m2", "f", struct.pack(">f", 2.0)),
                                          bundle(300, msg("/m3", ""), EVERY)),
                                   msg("/m4", "T")),
    "bad_blob_negative": msg("/a", "b", i32(-1)),
    "bad_blob_past_end": msg("/a", "b", i32(64), b"\0" * 4),
    "bad_missing_comma": s("/a") + s("i") + i32(1),
    "bad_unknown_tag": msg("/a", "ix", i32(1)),
    "bad_array": msg("/a", "[i]", i32(1)),
    "bad_pattern": msg("/node/*/gain", "f", struct.pack(">f", 0.0)),
    "bad_trailing": msg("/a", "i", i32(1), i32(2)),
    "bad_padding": b"/a\0X" + s(","),
    "bad_element_size_past_end": bundle(1, msg("/a", "i", i32(1))) + i32(4096)
    + msg("/b", "i", i32(2)),
    "bad_element_size_zero": s("#bundle") + u64(1) + i32(0),
    "bad_nested_earlier": bundle(500, bundle(400, msg("/a", ""))),
    "bad_odd_size": msg("/a", "i", i32(1)) + b"\0",
}

# lo_bundle_serialise output from liblo 0.31 (see tests/unit/osc_packet_test.cpp).
SEEDS["liblo_nested_bundle"] = bytes.fromhex(
    "2362756e646c65" "00" "83aa7e8000000001" "00000014" "2f6e6f64652f6761696e0000"
    "2c6600003e800000" "0000001c" "2f6e6f64652f6e616d6500002c736900" "6f7363310000000000000007"
    "00000024" "2362756e646c650083aa7e8000000001" "00000010" "2f696e6e657200002c69000000000003")

OUT.mkdir(parents=True, exist_ok=True)
for name, data in sorted(SEEDS.items()):
    (OUT / name).write_bytes(data)
print(f"{len(SEEDS)} seeds in {OUT}")
