//! PEM armour (RFC 7468): enough to read certificates and keys and to write a certificate.

use zeroize::Zeroizing;

/// One PEM block: its label and decoded bytes (zeroed on drop, since keys pass through here).
pub struct Block {
    pub label: String,
    pub data: Zeroizing<Vec<u8>>,
}

/// True when `data` looks like PEM rather than DER.
pub fn is_pem(data: &[u8]) -> bool {
    find(data, b"-----BEGIN ").is_some()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every block in `data`, in order. Text outside blocks is ignored (as OpenSSL does).
pub fn parse(data: &[u8]) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(start) = find(rest, b"-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = find(after, b"-----").ok_or("unterminated BEGIN line")?;
        let label = String::from_utf8_lossy(&after[..label_end]).into_owned();
        let body = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end =
            find(body, end_marker.as_bytes()).ok_or_else(|| format!("no END line for {label}"))?;
        let data = decode_base64(&body[..end]).ok_or_else(|| format!("bad base64 in {label}"))?;
        out.push(Block { label, data });
        rest = &body[end + end_marker.len()..];
    }
    Ok(out)
}

fn decode_base64(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 3 / 4));
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut pad = 0;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            // Headers such as "Proc-Type:" mean an encrypted legacy key.
            _ => return None,
        };
        if pad > 0 {
            return None;
        }
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if pad > 2 {
        return None;
    }
    zeroize::Zeroize::zeroize(&mut acc);
    Some(out)
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
    #[test]
    fn round_trip() {
        for n in 0..10 {
            let data: Vec<u8> = (0..n * 37).map(|i| (i * 7) as u8).collect();
            let text = super::encode("CERTIFICATE", &data);
            let blocks = super::parse(text.as_bytes()).unwrap();
            assert_eq!(blocks.len(), 1);
            assert_eq!(blocks[0].label, "CERTIFICATE");
            assert_eq!(&blocks[0].data[..], &data[..]);
        }
        assert!(super::parse(b"-----BEGIN X-----\n!!\n-----END X-----\n").is_err());
    }
}
