//! The little DER this crate needs: a strict reader (definite, minimal lengths; one TLV at a
//! time, never recursing on its own, so hostile nesting costs nothing) and a writer for the
//! fixed shapes of a module signature and a self-signed certificate.

use std::fmt;

pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0c;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const IA5_STRING: u8 = 0x16;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const BOOLEAN: u8 = 0x01;

/// Context-specific tags: `[n]` constructed (0xa0 | n) and primitive (0x80 | n).
pub const fn ctx_cons(n: u8) -> u8 {
    0xa0 | n
}
pub const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// Where and why DER parsing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError {
    pub what: &'static str,
    pub offset: usize,
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

impl std::error::Error for DerError {}

/// One decoded element: its tag, its content, and its whole encoding (tag and length included).
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
    /// Offset of the element in the outermost buffer, for error messages.
    pub offset: usize,
}

impl<'a> Tlv<'a> {
    /// A reader over the content of a constructed element.
    pub fn reader(&self) -> Reader<'a> {
        Reader {
            data: self.content,
            pos: 0,
            base: self.offset + (self.raw.len() - self.content.len()),
        }
    }

    pub fn expect(self, tag: u8, what: &'static str) -> Result<Self, DerError> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(DerError {
                what,
                offset: self.offset,
            })
        }
    }
}

/// Reads consecutive TLVs from a buffer.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            base: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn err(&self, what: &'static str) -> DerError {
        DerError {
            what,
            offset: self.offset(),
        }
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Read the next element of any tag.
    pub fn any(&mut self) -> Result<Tlv<'a>, DerError> {
        let start = self.pos;
        let rest = &self.data[start..];
        let (tag, hdr, len) = header(rest).map_err(|what| self.err(what))?;
        if len > rest.len() - hdr {
            return Err(self.err("length runs past the end of the data"));
        }
        let raw = &rest[..hdr + len];
        self.pos += hdr + len;
        Ok(Tlv {
            tag,
            content: &raw[hdr..],
            raw,
            offset: self.base + start,
        })
    }

    /// Read the next element, which must carry `tag`.
    pub fn read(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
        let off = self.offset();
        let t = self.any()?;
        if t.tag != tag {
            return Err(DerError { what, offset: off });
        }
        Ok(t)
    }

    /// Read the next element if it carries `tag`.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.any().map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn finish(&self, what: &'static str) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.err(what))
        }
    }
}

/// The tag, header length and content length of the element at the start of `data`, without
/// checking that the content is all there (so a truncated element still shows its shape).
pub fn header(data: &[u8]) -> Result<(u8, usize, usize), &'static str> {
    let tag = *data.first().ok_or("unexpected end of data")?;
    if tag & 0x1f == 0x1f {
        return Err("multi-byte tags are not used here");
    }
    let first = *data.get(1).ok_or("truncated length")?;
    if first < 0x80 {
        return Ok((tag, 2, first as usize));
    }
    if first == 0x80 {
        return Err("indefinite length (BER, not DER)");
    }
    let n = (first & 0x7f) as usize;
    if n > 4 {
        return Err("length field too long");
    }
    let bytes = data.get(2..2 + n).ok_or("truncated length")?;
    if bytes[0] == 0 {
        return Err("non-minimal length");
    }
    let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
    if len < 0x80 {
        return Err("non-minimal length");
    }
    Ok((tag, 2 + n, len))
}

/// Parse exactly one element filling all of `data`.
pub fn parse_one(data: &[u8]) -> Result<Tlv<'_>, DerError> {
    let mut r = Reader::new(data);
    let t = r.any()?;
    r.finish("trailing bytes after the outer element")?;
    Ok(t)
}

/// Small non-negative INTEGER contents (versions); None when not a small number.
pub fn small_uint(content: &[u8]) -> Option<u64> {
    if content.is_empty() || content.len() > 8 || content[0] & 0x80 != 0 {
        return None;
    }
    Some(content.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
}

/// Encode one element.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// Encode one constructed element from already-encoded parts.
pub fn cons(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    cons(SEQUENCE, parts)
}

/// An unsigned integer from big-endian magnitude bytes, minimally encoded.
pub fn uint(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes;
    while b.len() > 1 && b[0] == 0 {
        b = &b[1..];
    }
    if b.is_empty() {
        return tlv(INTEGER, &[0]);
    }
    if b[0] & 0x80 != 0 {
        let mut c = Vec::with_capacity(b.len() + 1);
        c.push(0);
        c.extend_from_slice(b);
        tlv(INTEGER, &c)
    } else {
        tlv(INTEGER, b)
    }
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// True when `data` starts like a PKCS#8, PKCS#1 or SEC1 private key: a SEQUENCE whose first
/// element is the one-byte INTEGER version 0 or 1. Only the first bytes are looked at, so a
/// truncated or damaged key still counts; a certificate (a SEQUENCE that starts with a
/// SEQUENCE) never does.
pub fn looks_like_private_key(data: &[u8]) -> bool {
    match header(data) {
        Ok((SEQUENCE, hdr, _)) => {
            matches!(data.get(hdr..hdr + 3), Some([INTEGER, 1, 0 | 1]))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_and_reject_non_der() {
        for n in [0usize, 1, 127, 128, 255, 256, 65535, 65536] {
            let e = tlv(OCTET_STRING, &vec![7; n]);
            let t = parse_one(&e).unwrap();
            assert_eq!(t.content.len(), n);
        }
        assert!(parse_one(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]).is_err()); // non-minimal
        assert!(parse_one(&[0x30, 0x80, 0, 0]).is_err()); // indefinite
        assert!(parse_one(&[0x04, 0x82, 0x00, 0x90]).is_err()); // leading zero
        assert!(parse_one(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err()); // past the end
        assert!(parse_one(&[0x04, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1]).is_err()); // absurd
        assert!(parse_one(&[0x04, 0x01, 0x00, 0x00]).is_err()); // trailing
        assert!(parse_one(&[]).is_err());
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(uint(&[0, 0, 0x7f]), vec![2, 1, 0x7f]);
        assert_eq!(uint(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(uint(&[]), vec![2, 1, 0]);
    }
}
