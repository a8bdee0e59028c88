#!/usr/bin/env python3
"""Writes the hand-made seed inputs into fuzz/corpus/<target>/ (seed-*.bin / seed-*.txt).

Run from anywhere: python3 fuzz/make_seeds.py. Existing files are overwritten, others kept,
so it can be re-run over a fuzzed corpus. The values come from the unit tests in src/.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


# --- fuzz_reply: a pick byte (1 = asked www.example.test), then a reply built by hand ---

TYPE_CNAME, TYPE_SOA, TYPE_DNAME, TYPE_OPT, TYPE_CAA = 5, 6, 39, 41, 257


def wire(name):
    out = b""
    for label in [l for l in name.split(".") if l]:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


QNAME = b"\xc0\x0c"  # pointer to the question name at offset 12


class Reply:
    def __init__(self, ident, flags, question="www.example.test", qtype=TYPE_CAA):
        self.body = wire(question) + struct.pack(">HH", qtype, 1)
        self.head = (ident, flags)
        self.counts = [1, 0, 0, 0]

    def record(self, section, owner, rtype, ttl, rdata, rclass=1):
        self.body += owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata
        self.counts[section] += 1
        return self

    def build(self, pick=1):
        return bytes([pick]) + struct.pack(">HH4H", *self.head, *self.counts) + self.body


def caa(flags, tag, value):
    return bytes([flags, len(tag)]) + tag + value


def soa(mname, rname):
    return wire(mname) + wire(rname) + struct.pack(">5I", 2024010101, 7200, 3600, 1209600, 300)


def ede(code, text):
    data = struct.pack(">H", code) + text
    return struct.pack(">HH", 15, len(data)) + data


OPT_PLAIN = (3, b"\0", TYPE_OPT, 0, b"")

write("fuzz_reply", "seed-caa-records.bin",
      Reply(7, 0x8180)
      .record(1, QNAME, TYPE_CAA, 300, caa(0, b"issue", b"letsencrypt.org; accounturi=https://x/acct/1"))
      .record(1, QNAME, TYPE_CAA, 300, caa(0, b"issuewild", b";"))
      .record(1, QNAME, TYPE_CAA, 300, caa(0, b"iodef", b"mailto:ops@example.test"))
      .record(1, QNAME, TYPE_CAA, 300, caa(128, b"bad-tag", b"x"))
      .record(1, QNAME, TYPE_CAA, 300, caa(0, b"", b"\xff\x00\x1b"))
      .record(*OPT_PLAIN).build())
write("fuzz_reply", "seed-cname-then-caa.bin",
      Reply(8, 0x8180)
      .record(1, QNAME, TYPE_CNAME, 60, wire("cdn.other.test"))
      .record(1, wire("cdn.other.test"), TYPE_CAA, 60, caa(0, b"issue", b"ca.example"))
      .build())
write("fuzz_reply", "seed-dname-cname.bin",
      Reply(9, 0x8180)
      .record(1, b"\xc0\x10", TYPE_DNAME, 60, wire("other.test"))
      .record(1, QNAME, TYPE_CNAME, 60, b"\x03www\xc0\x2e")
      .build())
write("fuzz_reply", "seed-nodata-soa.bin",
      Reply(10, 0x8180)
      .record(2, b"\xc0\x10", TYPE_SOA, 3600, soa("ns1.example.test", "hostmaster.example.test"))
      .record(*OPT_PLAIN).build())
write("fuzz_reply", "seed-nxdomain-soa.bin",
      Reply(11, 0x8183)
      .record(2, wire("test"), TYPE_SOA, 900, soa("a.nic.test", "admin.nic.test"))
      .build())
write("fuzz_reply", "seed-servfail-ede.bin",
      Reply(12, 0x8182)
      .record(3, b"\0", TYPE_OPT, 0x0100_0000, struct.pack(">HH", 10, 2) + b"\0\0" + ede(7, b"RRSIG expired \x1b[31m"))
      .build())
write("fuzz_reply", "seed-refused-ede-only-code.bin",
      Reply(13, 0x8185).record(3, b"\0", TYPE_OPT, 0, ede(20, b"")).build())
write("fuzz_reply", "seed-truncated.bin", Reply(14, 0x8380).build())
write("fuzz_reply", "seed-other-question.bin",
      Reply(15, 0x8180, "WWW.Example.TEST", qtype=1)
      .record(1, QNAME, 1, 60, b"\xc0\x00\x02\x01").build())


# --- fuzz_issue_value: the values of src/caa/issue_value.rs tests ---

issue_values = [
    b"letsencrypt.org", b" \tletsencrypt.org \t", b"letsencrypt.org; a=1", b";", b"",
    b"letsencrypt.org\r", b"letsencrypt.org;", b"letsencrypt.org; \t ", b"letsencrypt.org; a=1;",
    b"letsencrypt.org; accounturi=https://x/acct/1 ; b = c=d,e", b"ca.example; empty=",
    b"ca.example; a=1; a=2", b"letsencrypt.org; =x", b"letsencrypt.org; a_b=1",
    b"letsencrypt.org; ab=1 2", b"letsencrypt.org; foo", b"letsencrypt.org;;",
    b"letsencrypt.org; validation-methods=dns-01",
    b"letsencrypt.org; validationmethods=http-01, dns-01", b"letsencrypt.org; a=\xff",
    b"letsencrypt.org; a=\x1b[31m", b"letsencrypt.org; \xc3\xa9=1", b"letsencrypt.org; a=b;c",
    b"%%%%%", b"\xffca", b"LetsEncrypt.org", b"letsencrypt.org.", b"\"letsencrypt.org\"",
    b"Let's Encrypt", b"www.letsencrypt.org",
]
for i, value in enumerate(issue_values):
    write("fuzz_issue_value", f"seed-{i:02}.txt", value)


# --- fuzz_name: names from src/name.rs tests, punycode and wildcards ---

name253 = ".".join(["a" * 63] * 3 + ["b" * 61])
names = [
    "www.example.com", "WWW.Example.COM.", "example.com..", "*.A.example.com", "*.a.example.com.",
    "Bücher.example", "*.münchen.de", "bücher。example", "xn--bcher-kva.example",
    "*.xn--mnchen-3ya.de", "a-b.xn--bcher-kva.example", "192.0.2.1", "[2001:db8::1]", "::1",
    "a.*.example.com", "**.example.com", "*.", "a..example.com", "foo_bar.example.com",
    "a\x1b[31m.com", "*.-b.c", name253, "c." + name253, "bü_cher.example", "例え.テスト",
]
for i, name in enumerate(names):
    write("fuzz_name", f"seed-{i:02}.txt", name)


# --- fuzz_zone_line: the lines of src/zone.rs tests, and structured records ---

zone_lines = [
    'example.com. IN CAA 0 issue "letsencrypt.org"',
    'a.test. IN CAA 128 tbs "\\027[31m\\"\\\\\\255"',
    "a.test. IN CAA \\# 10 00076261642d74616778",
    'example.com. CAA 0 issue "letsencrypt.org"',
    'Example.COM. IN CAA 0 issue "letsencrypt.org"',
    "example.com 300 IN CAA 0 issue letsencrypt.org",
    'example.com IN 300 caa 0 issue "letsencrypt.org" ; a comment',
    "example.com. TYPE257 \\# 22 00 05 6973737565 6c657473656e63727970742e6f7267",
    'x.test. CAA 128 tbs "a\\"b\\\\c\\059\\255"',
    'x.test. CAA 0 issue ";"',
    'x.test. CAA 0 issue ""',
    "example.com. A 192.0.2.1",
    "example.com. CAA 0 issue",
    'example.com. CAA 256 issue "x"',
    'example.com. CAA 0 issue "x',
    'exa mple.com CAA 0 issue "x"',
    '192.0.2.1 CAA 0 issue "x"',
    'x.test. CAA 0 issue "\\300"',
    "x.test. CAA \\# 3 0000",
    "x.test. CAA \\# 65536 00",
    'x.test. CAA 0 ' + "t" * 300 + ' "v"',
]
for i, line in enumerate(zone_lines):
    write("fuzz_zone_line", f"seed-{i:02}.txt", line)
# Structured: flags, tag length, tag, size octet (0xf0 and up: as long as fits), value.
write("fuzz_zone_line", "seed-struct-max.bin", b"\x80\x05issue\xf0ab")
write("fuzz_zone_line", "seed-struct-odd-tag.bin", b"\x00\x07bad-tag\x00\x1b\"\\\xff")


# --- fuzz_input_line: lines of src/input.rs tests ---

input_lines = [
    b"# audit", b"", b"  a.example.com  \r", b"\tb.example.com # prod", b"   ",
    b"*.c.example.com", b"192.0.2.1", b"b..example.com", b"\xff.example.com", b"ok.example.com",
    "Bücher.example # unicode".encode(),
]
for i, line in enumerate(input_lines):
    write("fuzz_input_line", f"seed-{i:02}.txt", line)
