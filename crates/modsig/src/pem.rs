//! PEM armour (RFC 7468): enough to read certificates and keys and to write a certificate.
//!
//! Private keys pass through this reader, so nothing it reports quotes its input: an error
//! names a byte offset and, when the block's label is one of [`KNOWN_LABELS`], that constant
//! (never the label text read from the input, the base64 or the decoded bytes).

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";

/// Longest label accepted. RFC 7468 sets none; the longest in use is 23 characters.
pub const MAX_LABEL_LEN: usize = 64;

/// Labels this crate knows by name (RFC 7468 and OpenSSL's legacy ones). Only these are ever
/// named in an error, and always as the constant here, not as text from the input.
pub const KNOWN_LABELS: &[&str] = &[
    "CERTIFICATE",
    "X509 CERTIFICATE",
    "TRUSTED CERTIFICATE",
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
    "EC PARAMETERS",
    "X509 CRL",
    "CERTIFICATE REQUEST",
    "NEW CERTIFICATE REQUEST",
    "PKCS7",
    "CMS",
];

/// The label of a block: one of [`KNOWN_LABELS`], or some other well-formed label whose text
/// is not kept (it came from the input and may be anything, key bytes included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Known(&'static str),
    Other,
}

impl Label {
    fn from_text(text: &[u8]) -> Label {
        KNOWN_LABELS
            .iter()
            .find(|k| k.as_bytes() == text)
            .map_or(Label::Other, |k| Label::Known(k))
    }

    /// `CERTIFICATE` or `X509 CERTIFICATE`: a bare DER certificate.
    pub fn is_certificate(self) -> bool {
        matches!(self, Label::Known("CERTIFICATE" | "X509 CERTIFICATE"))
    }

    /// Any private key block, encrypted or not.
    pub fn is_private_key(self) -> bool {
        matches!(
            self,
            Label::Known(
                "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY"
            )
        )
    }
}

/// "the RSA PRIVATE KEY block" / "a block with an unrecognised label", for messages.
struct BlockName(Label);

impl fmt::Display for BlockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Label::Known(l) => write!(f, "the {l} block"),
            Label::Other => f.write_str("a block with an unrecognised label"),
        }
    }
}

/// Why PEM text was refused. Every message is fixed text plus byte offsets: see the module
/// documentation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    #[error("BEGIN line at byte {offset} is not terminated: it must end with \"-----\" on the same line")]
    UnterminatedBegin { offset: usize },
    #[error(
        "the label of the BEGIN line at byte {offset} is not an RFC 7468 label (1 to {MAX_LABEL_LEN} \
         printable ASCII characters, single spaces or hyphens only between them)"
    )]
    BadLabel { offset: usize },
    #[error("{} that begins at byte {offset} has no END line", BlockName(*label))]
    NoEnd { label: Label, offset: usize },
    #[error("the END line at byte {offset} does not match the BEGIN line of {}", BlockName(*label))]
    EndMismatch { label: Label, offset: usize },
    #[error(
        "{} has RFC 1421 headers at byte {offset} (a legacy encrypted key?), which are not supported",
        BlockName(*label)
    )]
    Headers { label: Label, offset: usize },
    #[error("{} is not valid base64 (at byte {offset})", BlockName(*label))]
    Base64 { label: Label, offset: usize },
}

/// One PEM block: its label and decoded bytes (zeroed on drop, since keys pass through here).
pub struct Block {
    pub label: Label,
    /// Offset of the BEGIN line in the input.
    pub offset: usize,
    pub data: Zeroizing<Vec<u8>>,
}

/// Shows the label, offset and length, never the bytes.
impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("label", &self.label)
            .field("offset", &self.offset)
            .field("len", &self.data.len())
            .finish()
    }
}

/// True when `data` looks like PEM rather than DER.
pub fn is_pem(data: &[u8]) -> bool {
    find(data, BEGIN).is_some()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The line starting at `start`: its text without the line ending and trailing blanks, and
/// where the next line starts.
fn line_at(data: &[u8], start: usize) -> (&[u8], usize) {
    let end = data[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |i| start + i);
    let mut line = &data[start..end];
    while let [rest @ .., b' ' | b'\t' | b'\r'] = line {
        line = rest;
    }
    (line, (end + 1).min(data.len()))
}

/// RFC 7468 section 3: `label = [ labelchar *( ["-" / SP] labelchar ) ]`, `labelchar` any
/// printable ASCII character but '-'; here also not empty and at most [`MAX_LABEL_LEN`] long.
fn valid_label(label: &[u8]) -> bool {
    let labelchar = |b: u8| b.is_ascii_graphic() && b != b'-';
    let (Some(&first), Some(&last)) = (label.first(), label.last()) else {
        return false;
    };
    label.len() <= MAX_LABEL_LEN
        && labelchar(first)
        && labelchar(last)
        && label.windows(2).all(|w| labelchar(w[0]) || labelchar(w[1]))
        && label
            .iter()
            .all(|&b| labelchar(b) || b == b'-' || b == b' ')
}

/// Every block in `data`, in order. Text outside blocks is ignored (as OpenSSL does).
pub fn parse(data: &[u8]) -> Result<Vec<Block>, PemError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = find(&data[pos..], BEGIN) {
        let begin = pos + found;
        let (line, mut next) = line_at(data, begin);
        // The line is trimmed of trailing blanks: "-----BEGIN " alone is shorter than BEGIN.
        let label_text = line
            .get(BEGIN.len()..)
            .unwrap_or_default()
            .strip_suffix(DASHES)
            .ok_or(PemError::UnterminatedBegin { offset: begin })?;
        if !valid_label(label_text) {
            return Err(PemError::BadLabel { offset: begin });
        }
        let label = Label::from_text(label_text);
        let mut b64 = Base64::default();
        loop {
            if next >= data.len() {
                return Err(PemError::NoEnd {
                    label,
                    offset: begin,
                });
            }
            let start = next;
            let (line, after) = line_at(data, start);
            next = after;
            let indent = line
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count();
            let text = &line[indent..];
            if text.starts_with(END) {
                let closes = text[END.len()..].strip_suffix(DASHES) == Some(label_text);
                if !closes {
                    return Err(PemError::EndMismatch {
                        label,
                        offset: start,
                    });
                }
                let data = b64.finish().map_err(|()| PemError::Base64 {
                    label,
                    offset: start,
                })?;
                out.push(Block {
                    label,
                    offset: begin,
                    data,
                });
                break;
            }
            if text.starts_with(DASHES) {
                // Another BEGIN line, or a mangled END line: this block never ended.
                return Err(PemError::NoEnd {
                    label,
                    offset: begin,
                });
            }
            if text.contains(&b':') {
                return Err(PemError::Headers {
                    label,
                    offset: start,
                });
            }
            for (i, &c) in text.iter().enumerate() {
                b64.push(c).map_err(|()| PemError::Base64 {
                    label,
                    offset: start + indent + i,
                })?;
            }
        }
        pos = next;
    }
    Ok(out)
}

/// A base64 decoder fed one character at a time; its output and state are wiped on drop.
#[derive(Default)]
struct Base64 {
    out: Zeroizing<Vec<u8>>,
    acc: u32,
    bits: u32,
    chars: usize,
    pad: usize,
}

impl Drop for Base64 {
    fn drop(&mut self) {
        self.acc.zeroize();
    }
}

impl Base64 {
    fn push(&mut self, c: u8) -> Result<(), ()> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                self.pad += 1;
                return if self.pad > 2 { Err(()) } else { Ok(()) };
            }
            b' ' | b'\t' | b'\r' => return Ok(()),
            _ => return Err(()),
        };
        if self.pad > 0 {
            return Err(());
        }
        self.chars += 1;
        self.acc = (self.acc << 6) | u32::from(v);
        self.bits += 6;
        if self.bits >= 8 {
            self.bits -= 8;
            self.out.push((self.acc >> self.bits) as u8);
            self.acc &= (1 << self.bits) - 1;
        }
        Ok(())
    }

    /// The decoded bytes, if the text was whole: no dangling single character, and padding
    /// (when present) completing the last group of four.
    fn finish(mut self) -> Result<Zeroizing<Vec<u8>>, ()> {
        let whole =
            self.chars % 4 != 1 && (self.pad == 0 || (self.chars + self.pad).is_multiple_of(4));
        if whole {
            Ok(std::mem::take(&mut self.out))
        } else {
            Err(())
        }
    }
}

/// PEM-encode `data` with `label`, 64 columns.
pub fn encode(label: &str, data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(data.len() * 4 / 3 + 4);
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let v = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= n {
                b64.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    /// Found by the fuzz smoke run (fuzz/artifacts/modsig_x509/crash-6731e513...): a BEGIN
    /// marker followed only by blanks made the trimmed line shorter than the marker.
    #[test]
    fn a_bare_begin_marker_is_an_error_not_a_panic() {
        for data in [
            &b"-----BEGIN \n"[..],
            b"-----BEGIN \r\n",
            b"-----BEGIN  \t",
            b"x\n-----BEGIN ",
        ] {
            assert!(parse(data).is_err(), "{data:?}");
        }
        let crash = b"-----BEGINWk\nC8p\n-----END PRIVATE KEY-----\n-----BEGIN \n";
        assert!(parse(crash).is_err());
    }

    use super::{parse, Label, PemError};

    #[test]
    fn round_trip() {
        for n in 0..10 {
            let data: Vec<u8> = (0..n * 37).map(|i| (i * 7) as u8).collect();
            let text = super::encode("CERTIFICATE", &data);
            let blocks = parse(text.as_bytes()).unwrap();
            assert_eq!(blocks.len(), 1);
            assert_eq!(blocks[0].label, Label::Known("CERTIFICATE"));
            assert_eq!(&blocks[0].data[..], &data[..]);
        }
        assert!(parse(b"-----BEGIN X-----\n!!\n-----END X-----\n").is_err());
    }

    #[test]
    fn blocks_text_around_them_crlf_and_unknown_labels() {
        let text = b"junk before\r\n-----BEGIN CERTIFICATE-----\r\nAAEC\r\n-----END CERTIFICATE-----\r\n\
                     between\n-----BEGIN SOME THING-----\n  AwQ=\n-----END SOME THING-----  \ntrailer";
        let blocks = parse(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, Label::Known("CERTIFICATE"));
        assert_eq!(&blocks[0].data[..], &[0, 1, 2]);
        assert_eq!(blocks[1].label, Label::Other);
        assert_eq!(&blocks[1].data[..], &[3, 4]);
    }

    #[test]
    fn damaged_armour_is_refused_with_fixed_words() {
        let cases: &[(&[u8], PemError)] = &[
            (
                b"-----BEGIN PRIVATE KEY\nQUJDRA==\n-----END PRIVATE KEY-----\n",
                PemError::UnterminatedBegin { offset: 0 },
            ),
            (
                b"x\n-----BEGIN PRIVATE KEY-----QUJD\n-----END PRIVATE KEY-----\n",
                PemError::UnterminatedBegin { offset: 2 },
            ),
            (
                b"-----BEGIN PRIVATE  KEY-----\nQUJD\n-----END PRIVATE  KEY-----\n",
                PemError::BadLabel { offset: 0 },
            ),
            (
                b"-----BEGIN -----\nQUJD\n-----END -----\n",
                PemError::BadLabel { offset: 0 },
            ),
            (
                b"-----BEGIN PRIV\xffKEY-----\nQUJD\n-----END PRIV\xffKEY-----\n",
                PemError::BadLabel { offset: 0 },
            ),
            (
                b"-----BEGIN RSA PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n",
                PemError::EndMismatch {
                    label: Label::Known("RSA PRIVATE KEY"),
                    offset: 37,
                },
            ),
            (
                b"-----BEGIN EC PRIVATE KEY-----\nQUJD\n",
                PemError::NoEnd {
                    label: Label::Known("EC PRIVATE KEY"),
                    offset: 0,
                },
            ),
            (
                b"-----BEGIN SECRET-----\nQUJD\n-----BEGIN SECRET-----\n",
                PemError::NoEnd {
                    label: Label::Other,
                    offset: 0,
                },
            ),
            (
                b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nQUJD\n-----END RSA PRIVATE KEY-----\n",
                PemError::Headers {
                    label: Label::Known("RSA PRIVATE KEY"),
                    offset: 32,
                },
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nQU*D\n-----END PRIVATE KEY-----\n",
                PemError::Base64 {
                    label: Label::Known("PRIVATE KEY"),
                    offset: 30,
                },
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nQUJDR\n-----END PRIVATE KEY-----\n",
                PemError::Base64 {
                    label: Label::Known("PRIVATE KEY"),
                    offset: 34,
                },
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nQUJ=D\n-----END PRIVATE KEY-----\n",
                PemError::Base64 {
                    label: Label::Known("PRIVATE KEY"),
                    offset: 32,
                },
            ),
        ];
        for (text, want) in cases {
            let got = parse(text).err();
            assert_eq!(
                got.as_ref(),
                Some(want),
                "{}",
                String::from_utf8_lossy(text)
            );
            let msg = want.to_string();
            assert!(!msg.contains('\n') && !msg.contains("QUJ") && !msg.contains("SECRET"));
        }
    }
}
