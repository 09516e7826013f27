//! The certificates a kernel image trusts at boot: find the kernel in an image of any shape
//! (bzImage, EFI zboot, arm64/RISC-V `Image`, compressed or not, ELF `vmlinux`), decompress it
//! as a stream and pick out the DER certificates of
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
/// on the `30 82 xx xx` form); AFTER more bytes keep the size words that follow the list.
const HOLD: usize = 4 + 0xffff + AFTER;
/// Bytes kept after a certificate: the `.align 8` before `system_certificate_list_size` is 8
/// bytes on x86 but 2^8 = 256 on arm, arm64 and RISC-V (GNU as), then two 64-bit words.
const AFTER: usize = 256 + 16;
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
    /// How the payload was found: "bzImage header", "EFI zboot header", "arm64 Image header",
    /// "ELF vmlinux", "magic scan at <offset>".
    pub located_by: String,
    pub compression: Format,
    pub decompressed_len: u64,
    /// True when the certificates were identified as `system_certificate_list` by the
    /// `system_certificate_list_size` word after them; false when every certificate found in
    /// the image is returned instead.
    pub system_list: bool,
    pub certs: Vec<FoundCert>,
    /// The kernel's `linux_banner` (init/version.c: "Linux version RELEASE (...) ..."), first
    /// line, when the image holds one.
    pub banner: Option<String>,
}

impl KernelCerts {
    /// The release (`uname -r`) named by the banner.
    pub fn release(&self) -> Option<&str> {
        let b = self.banner.as_deref()?;
        b.strip_prefix(BANNER)?.split(' ').next()
    }
}

/// `linux_banner` starts so, followed by the release (which starts with a digit).
const BANNER: &str = "Linux version ";

/// Why a file is not taken for a kernel image; every message says "not a kernel image".
fn not_a_kernel(why: &str) -> Error {
    Error::NotKernel(why.to_string())
}

/// Find the built-in certificates of a kernel image: an x86 bzImage, an EFI zboot image, a raw
/// arm64 or RISC-V `Image` (also compressed: `Image.gz`...), or an ELF `vmlinux`. Anything else,
/// such as a module, is refused as "not a kernel image".
pub fn builtin_certificates(image: &[u8], limit: u64) -> Result<KernelCerts, Error> {
    let found = locate(image)?;
    let k = scan(found.data, found.format, found.located_by, limit)?;
    if k.banner.is_none() && k.certs.is_empty() {
        return Err(not_a_kernel(&format!(
            "neither a \"{BANNER}\" banner nor a certificate in it ({}, {} payload)",
            k.located_by,
            k.compression.name()
        )));
    }
    Ok(k)
}

struct Located<'a> {
    data: &'a [u8],
    format: Format,
    located_by: String,
}

fn located(data: &[u8], located_by: impl Into<String>) -> Located<'_> {
    Located {
        data,
        format: kdecomp::detect(data),
        located_by: located_by.into(),
    }
}

fn locate(image: &[u8]) -> Result<Located<'_>, Error> {
    if image.starts_with(b"\x7fELF") {
        // e_type (ELF header offset 16) in the file's byte order (EI_DATA: 1 little, 2 big).
        let t = image.get(16..18).map(|b| match image.get(5) {
            Some(2) => u16::from_be_bytes([b[0], b[1]]),
            _ => u16::from_le_bytes([b[0], b[1]]),
        });
        return match t {
            // ET_REL: a module (.ko) or an object file. A vmlinux is ET_EXEC (x86) or ET_DYN
            // (arm64 with CONFIG_RELOCATABLE links it -shared).
            Some(1) => Err(not_a_kernel(
                "an ELF relocatable object (a module or an object file); a vmlinux is an executable",
            )),
            Some(4) => Err(not_a_kernel("an ELF core dump")),
            _ => Ok(Located {
                data: image,
                format: Format::Plain,
                located_by: "ELF vmlinux".into(),
            }),
        };
    }
    if let Some(payload) = zboot_payload(image)? {
        return Ok(located(payload, "EFI zboot header"));
    }
    if let Some(payload) = bzimage_payload(image) {
        match kdecomp::detect(payload) {
            // CONFIG_KERNEL_UNCOMPRESSED puts the ELF vmlinux.bin there as is.
            Format::Plain if payload.starts_with(b"\x7fELF") => {
                return Ok(located(payload, "bzImage header (uncompressed payload)"))
            }
            Format::Plain => {}
            _ => return Ok(located(payload, "bzImage header")),
        }
    }
    if image_header(image) {
        return Ok(located(
            image,
            if &image[0x38..0x3c] == b"ARMd" {
                "arm64 Image header"
            } else {
                "RISC-V Image header"
            },
        ));
    }
    // No usable header: try each compression magic in the image, as extract-vmlinux does, and
    // take the first candidate that decompresses to a kernel (Image.gz, vmlinux.gz...).
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
            return Ok(located(rest, format!("magic scan at offset {offset:#x}")));
        }
    }
    Err(not_a_kernel(
        "no bzImage, EFI zboot, arm64/RISC-V Image or ELF header, and no compressed kernel inside",
    ))
}

/// The compressed payload of an EFI zboot image (drivers/firmware/efi/libstub/zboot-header.S:
/// "MZ", "zimg", payload offset and size as 32-bit little-endian words, then the compression
/// name). Ok(None) when it is not one; an error when the header points outside the file.
fn zboot_payload(image: &[u8]) -> Result<Option<&[u8]>, Error> {
    if !(image.starts_with(b"MZ") && image.get(4..8) == Some(b"zimg")) {
        return Ok(None);
    }
    let u32_at = |o: usize| -> usize {
        let w: [u8; 4] = image[o..o + 4].try_into().unwrap_or_default();
        u32::from_le_bytes(w) as usize
    };
    if image.len() < 0x40 {
        return Err(Error::Kernel("EFI zboot header is truncated".into()));
    }
    let (offset, size) = (u32_at(8), u32_at(12));
    let name: String = image[24..56]
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect();
    let payload = offset
        .checked_add(size)
        .and_then(|end| image.get(offset..end))
        .ok_or_else(|| {
            Error::Kernel(format!(
                "EFI zboot header names a {name} payload at {offset:#x}+{size:#x}, outside the {}-byte file",
                image.len()
            ))
        })?;
    if kdecomp::detect(payload) == Format::Plain {
        return Err(Error::Kernel(format!(
            "EFI zboot payload ({name}) is in a compression kharden does not read"
        )));
    }
    Ok(Some(payload))
}

/// A raw arm64 `Image` (Documentation/arch/arm64/booting.rst: magic "ARM\x64" at 0x38) or
/// RISC-V `Image` (Documentation/arch/riscv/boot-image-header.rst: "RSC\x05" at 0x38).
fn image_header(image: &[u8]) -> bool {
    matches!(image.get(0x38..0x3c), Some(b"ARMd") | Some(b"RSC\x05"))
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
    got == head.len() && (head.starts_with(b"\x7fELF") || image_header(&head))
}

/// The banner starting at `at` in `buf`, up to its end of line (at most 512 bytes).
fn banner_at(buf: &[u8], at: usize) -> String {
    let rest = &buf[at..buf.len().min(at + 512)];
    let end = rest
        .iter()
        .position(|&b| b == b'\n' || b == 0)
        .unwrap_or(rest.len());
    rest[..end]
        .iter()
        .map(|&b| {
            if b == b' ' || b.is_ascii_graphic() {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// The first "Linux version <digit>" in `buf[..end]`.
fn find_banner(buf: &[u8], end: usize) -> Option<usize> {
    let pat = BANNER.as_bytes();
    let mut i = 0;
    while i < end {
        let p = buf[i..end].iter().position(|&b| b == b'L')?;
        i += p;
        if buf[i..].starts_with(pat) && buf.get(i + pat.len()).is_some_and(u8::is_ascii_digit) {
            return Some(i);
        }
        i += 1;
    }
    None
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
    let mut banner: Option<String> = None;
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
        if banner.is_none() {
            banner = find_banner(&buf, scan_end).map(|at| banner_at(&buf, at));
        }
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
                        let after = w[len..w.len().min(len + AFTER)].to_vec();
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
        [8u64, 256].iter().any(|align| {
            let pad = ((align - end % align) % align) as usize;
            last.after.get(pad..pad + 8).is_some_and(|w| {
                let w: [u8; 8] = w.try_into().unwrap_or_default();
                u64::from_le_bytes(w) == total || u64::from_be_bytes(w) == total
            })
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
        banner,
    })
}
