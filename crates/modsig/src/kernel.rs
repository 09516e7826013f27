//! The certificates a kernel image trusts at boot: find the compressed payload of a bzImage
//! (or any vmlinuz, by magic), decompress it as a stream and pick out the DER certificates of
//! `system_certificate_list` (certs/system_certificates.S). Memory stays bounded: the
//! decompressed kernel is never held whole, only a sliding window.

use std::io::Read;

use kdecomp::Format;

use crate::cert::Certificate;
use crate::Error;

/// Default bound on the decompressed size of a kernel.
pub const DEFAULT_LIMIT: u64 = 1 << 30;

const CHUNK: usize = 1 << 20;
/// A certificate in the list is at most 4 + 0xffff bytes (x509_load_certificate_list insists
/// on the `30 82 xx xx` form); 32 more bytes keep the size words that follow the list.
const HOLD: usize = 4 + 0xffff + 32;
/// How many magic-number candidates to try when there is no bzImage header.
const MAX_CANDIDATES: usize = 64;

#[derive(Debug, Clone)]
pub struct FoundCert {
    /// Offset in the decompressed image.
    pub offset: u64,
    pub cert: Certificate,
}

#[derive(Debug, Clone)]
pub struct KernelCerts {
    /// How the payload was found: "bzImage header", "magic scan at <offset>", "uncompressed".
    pub located_by: String,
    pub compression: Format,
    pub decompressed_len: u64,
    /// True when the certificates were identified as `system_certificate_list` by the
    /// `system_certificate_list_size` word after them; false when every certificate found in
    /// the image is returned instead.
    pub system_list: bool,
    pub certs: Vec<FoundCert>,
}

/// Find the built-in certificates of a kernel image (bzImage/vmlinuz/vmlinux).
pub fn builtin_certificates(image: &[u8], limit: u64) -> Result<KernelCerts, Error> {
    if image.starts_with(b"\x7fELF") {
        return scan(image, Format::Plain, "uncompressed".into(), limit);
    }
    if let Some(payload) = bzimage_payload(image) {
        if kdecomp::detect(payload) != Format::Plain {
            return scan(
                payload,
                kdecomp::detect(payload),
                "bzImage header".into(),
                limit,
            );
        }
    }
    // No usable header: try each compression magic in the image, as extract-vmlinux does, and
    // take the first candidate that decompresses to a kernel.
    let mut tried = 0;
    for offset in 0..image.len() {
        let rest = &image[offset..];
        let format = kdecomp::detect(rest);
        if format == Format::Plain {
            continue;
        }
        tried += 1;
        if tried > MAX_CANDIDATES {
            break;
        }
        if looks_like_kernel(rest) {
            return scan(
                rest,
                format,
                format!("magic scan at offset {offset:#x}"),
                limit,
            );
        }
    }
    Err(Error::Kernel(
        "no compressed kernel payload found (not a bzImage/vmlinuz, or an unknown compression)"
            .into(),
    ))
}

/// The compressed payload named by the x86 boot header (Documentation/arch/x86/boot.rst).
fn bzimage_payload(image: &[u8]) -> Option<&[u8]> {
    if image.get(0x202..0x206)? != b"HdrS" {
        return None;
    }
    let version = u16::from_le_bytes(image.get(0x206..0x208)?.try_into().ok()?);
    if version < 0x208 {
        return None;
    }
    let setup_sects = match *image.get(0x1f1)? {
        0 => 4,
        n => n as usize,
    };
    let u32_at = |o: usize| -> Option<usize> {
        Some(u32::from_le_bytes(image.get(o..o + 4)?.try_into().ok()?) as usize)
    };
    let start = (setup_sects + 1) * 512 + u32_at(0x248)?;
    let len = u32_at(0x24c)?;
    image.get(start..start.checked_add(len)?)
}

/// Does `data` start a compressed stream whose first bytes are an ELF (x86 vmlinux.bin) or an
/// arm64/riscv `Image`?
fn looks_like_kernel(data: &[u8]) -> bool {
    let Ok((_, mut r)) = kdecomp::reader(data) else {
        return false;
    };
    let mut head = [0u8; 0x40];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    got == head.len()
        && (head.starts_with(b"\x7fELF")
            || &head[0x38..0x3c] == b"ARMd"
            || &head[0x38..0x3c] == b"RSC\x05")
}

struct Hit {
    offset: u64,
    len: usize,
    cert: Certificate,
    /// Bytes right after the certificate (for the list size word).
    after: Vec<u8>,
}

fn scan(data: &[u8], format: Format, located_by: String, limit: u64) -> Result<KernelCerts, Error> {
    let (_, reader) = kdecomp::reader(data).map_err(|e| Error::Kernel(e.to_string()))?;
    let mut reader = reader.take(limit.saturating_add(1));
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + HOLD);
    let mut base: u64 = 0;
    let mut hits: Vec<Hit> = Vec::new();
    let mut skip_to: u64 = 0;
    let mut eof = false;
    while !eof {
        // Fill to one chunk beyond the hold-back window.
        let want = CHUNK + HOLD;
        while buf.len() < want {
            let old = buf.len();
            buf.resize(want, 0);
            match reader.read(&mut buf[old..]) {
                Ok(0) => {
                    buf.truncate(old);
                    eof = true;
                    break;
                }
                Ok(n) => buf.truncate(old + n),
                Err(e) => {
                    buf.truncate(old);
                    if base + old as u64 == 0 {
                        return Err(Error::Kernel(format!("{} payload: {e}", format.name())));
                    }
                    return Err(Error::Kernel(format!(
                        "{} payload is corrupt after {} bytes: {e}",
                        format.name(),
                        base + old as u64
                    )));
                }
            }
        }
        if base + buf.len() as u64 > limit {
            return Err(Error::Kernel(format!(
                "decompressed kernel exceeds the limit of {limit} bytes"
            )));
        }
        let scan_end = if eof { buf.len() } else { buf.len() - HOLD };
        let mut i = skip_to.saturating_sub(base) as usize;
        while i < scan_end {
            let Some(p) = buf[i..scan_end].iter().position(|&b| b == 0x30) else {
                break;
            };
            i += p;
            let w = &buf[i..];
            if w.len() >= 8 && w[1] == 0x82 && w[4] == 0x30 && (w[5] == 0x82 || w[5] == 0x81) {
                let len = 4 + (((w[2] as usize) << 8) | w[3] as usize);
                if len <= w.len() {
                    if let Ok(cert) = Certificate::from_der(&w[..len]) {
                        let after = w[len..w.len().min(len + 32)].to_vec();
                        hits.push(Hit {
                            offset: base + i as u64,
                            len,
                            cert,
                            after,
                        });
                        i += len;
                        continue;
                    }
                }
            }
            i += 1;
        }
        skip_to = base + i as u64;
        buf.drain(..scan_end.min(buf.len()));
        base += scan_end as u64;
    }
    let decompressed_len = base + buf.len() as u64;

    // Group contiguous certificates; a group followed (after 8-byte alignment) by a 64-bit
    // word equal to its length is system_certificate_list.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    for (k, h) in hits.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if hits[g.end - 1].offset + hits[g.end - 1].len as u64 == h.offset => {
                g.end = k + 1
            }
            _ => groups.push(k..k + 1),
        }
    }
    let is_list = |g: &std::ops::Range<usize>| {
        let first = &hits[g.start];
        let last = &hits[g.end - 1];
        let total = last.offset + last.len as u64 - first.offset;
        let end = last.offset + last.len as u64;
        let pad = ((8 - end % 8) % 8) as usize;
        last.after.get(pad..pad + 8).is_some_and(|w| {
            let w: [u8; 8] = w.try_into().unwrap_or_default();
            u64::from_le_bytes(w) == total || u64::from_be_bytes(w) == total
        })
    };
    let list = groups.iter().find(|g| is_list(g)).cloned();
    let (system_list, chosen): (bool, Vec<usize>) = match list {
        Some(g) => (true, g.collect()),
        None => (false, (0..hits.len()).collect()),
    };
    let certs = chosen
        .into_iter()
        .map(|k| FoundCert {
            offset: hits[k].offset,
            cert: hits[k].cert.clone(),
        })
        .collect();
    Ok(KernelCerts {
        located_by,
        compression: format,
        decompressed_len,
        system_list,
        certs,
    })
}
