#!/usr/bin/env python3
"""Run by make-mldsa-vectors.sh in the chroot's work directory (on the host): turn `openssl cms`
output and raw `openssl pkeyutl` ML-DSA signatures into signed modules, and make the negative
vectors. Standard library only.

- crc7.mldsaNN.cms.ko: the module, cmsNN.p7s, and the trailer sign-file appends
  (struct module_signature with id_type PKEY_ID_PKCS7, sig_len big-endian, then the magic).
- crc7.mldsaNN.noattrs.ko: the module, a CMS SignedData laid out as sign-file's (version 1,
  digestAlgorithms {sha512}, detached data, no certificates, one SignerInfo by issuer and
  serial) whose SignerInfo has no signed attributes and carries rawNN.sig (ML-DSA over the
  module itself), and the trailer: the shape the kernel accepts from OpenSSL 4.
- negative/crc7.mldsa65.{sign-file,noattrs}-tampered.ko: one byte of the body changed.
"""
import os
import struct

MAGIC = b"~Module signature appended~\n"
OID = {
    "signedData": bytes.fromhex("2a864886f70d010702"),
    "data": bytes.fromhex("2a864886f70d010701"),
    "sha512": bytes.fromhex("608648016503040203"),
    44: bytes.fromhex("608648016503040311"),
    65: bytes.fromhex("608648016503040312"),
    87: bytes.fromhex("608648016503040313"),
}


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + content


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def read_tlv(data, at):
    """(tag, content start, end) of the TLV at `at`."""
    tag, n = data[at], data[at + 1]
    at += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[at:at + k], "big")
        at += k
    return tag, at, at + n


def children(data, start, end):
    out = []
    while start < end:
        t, s, e = read_tlv(data, start)
        out.append((t, s, e))
        start = e
    return out


def trailer(cms):
    return cms + struct.pack(">BBBBB3sI", 0, 0, 2, 0, 0, b"\0\0\0", len(cms)) + MAGIC


def _start(data, child):
    # Walk back from the content start to the tag: the header is 2 bytes, or 2 + k.
    s = child[1]
    for h in (2, 3, 4, 5):
        t, cs, ce = read_tlv(data, s - h)
        if cs == s and ce == child[2]:
            return s - h
    raise ValueError("header not found")


def whole(data, child):
    return data[_start(data, child):child[2]]


def noattrs_cms(cert_der, sig, level):
    _, s, e = read_tlv(cert_der, 0)
    tbs = children(cert_der, s, e)[0]
    fields = children(cert_der, tbs[1], tbs[2])
    if fields[0][0] == 0xA0:
        fields = fields[1:]
    serial, issuer = whole(cert_der, fields[0]), whole(cert_der, fields[2])
    signer_info = seq(
        tlv(0x02, b"\x01"),
        seq(issuer, serial),
        seq(tlv(0x06, OID["sha512"])),
        seq(tlv(0x06, OID[level])),
        tlv(0x04, sig),
    )
    signed_data = seq(
        tlv(0x02, b"\x01"),
        tlv(0x31, seq(tlv(0x06, OID["sha512"]))),
        seq(tlv(0x06, OID["data"])),
        tlv(0x31, signer_info),
    )
    return seq(tlv(0x06, OID["signedData"]), tlv(0xA0, signed_data))


def main():
    module = open("crc7.unsigned.ko", "rb").read()
    for n in (44, 65, 87):
        cms = open(f"cms{n}.p7s", "rb").read()
        open(f"crc7.mldsa{n}.cms.ko", "wb").write(module + trailer(cms))
        cert = open(f"mldsa{n}_cert.der", "rb").read()
        sig = open(f"raw{n}.sig", "rb").read()
        open(f"crc7.mldsa{n}.noattrs.ko", "wb").write(module + trailer(noattrs_cms(cert, sig, n)))
    os.makedirs("negative", exist_ok=True)
    for shape in ("sign-file", "noattrs"):
        m = bytearray(open(f"crc7.mldsa65.{shape}.ko", "rb").read())
        m[len(module) // 2] ^= 0x01
        open(f"negative/crc7.mldsa65.{shape}-tampered.ko", "wb").write(bytes(m))


if __name__ == "__main__":
    main()
