//! Built-in certificates from kernel images in every compression the kernel supports.
//! The payloads (tests/fixtures/kernel) hold a synthetic vmlinux: an ELF header, filler, a
//! decoy certificate, then a `system_certificate_list` of two certificates followed by
//! `system_certificate_list_size` and `module_cert_size`, as certs/system_certificates.S lays
//! them out.

use modsig::cert::Certificate;
use modsig::kernel::builtin_certificates;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A minimal bzImage around `payload`: boot sector with the header fields the payload
/// lookup reads, setup sectors, then the payload with its appended size.
fn bzimage(payload: &[u8], setup_sects: u8) -> Vec<u8> {
    let pm = (setup_sects as usize + 1) * 512;
    let payload_offset = 0x3c0usize;
    let mut img = vec![0u8; pm + payload_offset];
    img[0x1f1] = setup_sects;
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    img[0x248..0x24c].copy_from_slice(&(payload_offset as u32).to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32 + 4).to_le_bytes());
    img.extend_from_slice(payload);
    img.extend_from_slice(&353_216u32.to_le_bytes());
    img.extend_from_slice(&[0xcc; 4096]);
    img
}

fn expected() -> Vec<Certificate> {
    vec![
        Certificate::from_der(&fixture("debian-6.1.0-56-build-key.x509")).unwrap(),
        Certificate::from_der(&fixture("rsa4096_cert.der")).unwrap(),
    ]
}

#[test]
fn bzimage_payloads_in_every_compression() {
    for ext in ["gz", "xz", "zst", "lzma", "lz4", "bz2"] {
        let payload = fixture(&format!("kernel/payload.{ext}"));
        let k = builtin_certificates(&bzimage(&payload, 27), 1 << 30).unwrap();
        assert_eq!(k.located_by, "bzImage header", "{ext}");
        assert!(k.system_list, "{ext}: list not identified");
        let got: Vec<_> = k.certs.into_iter().map(|c| c.cert).collect();
        assert_eq!(got, expected(), "{ext}");
        assert_eq!(k.decompressed_len, 353_216);
    }
}

#[test]
fn images_without_a_header_are_found_by_magic() {
    for ext in ["gz", "xz", "zst"] {
        let mut img = b"some boot stub \x1f\x8b but no gzip here ".to_vec();
        img.extend_from_slice(&fixture(&format!("kernel/payload.{ext}")));
        let k = builtin_certificates(&img, 1 << 30).unwrap();
        assert!(k.located_by.starts_with("magic scan"), "{}", k.located_by);
        assert_eq!(k.certs.len(), 2);
    }
}

#[test]
fn an_uncompressed_vmlinux_is_scanned_directly() {
    let vmlinux = kdecomp::decompress(&fixture("kernel/payload.xz"), 1 << 30)
        .unwrap()
        .1;
    let k = builtin_certificates(&vmlinux, 1 << 30).unwrap();
    assert_eq!(k.located_by, "uncompressed");
    assert!(k.system_list);
    assert_eq!(k.certs[0].offset, 300_552);
    // Without the size word, every certificate found is returned (decoy included).
    let mut cut = vmlinux.clone();
    let end = 300_552 + 2647;
    let pad = (8 - end % 8) % 8;
    cut[end + pad..end + pad + 8].fill(0);
    let k = builtin_certificates(&cut, 1 << 30).unwrap();
    assert!(!k.system_list);
    assert_eq!(k.certs.len(), 3);
}

#[test]
fn limits_and_garbage_are_errors_not_panics() {
    let payload = fixture("kernel/payload.gz");
    let err = builtin_certificates(&bzimage(&payload, 4), 100_000).unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    assert!(builtin_certificates(b"not a kernel at all", 1 << 20).is_err());
    let mut truncated = bzimage(&payload, 4);
    truncated.truncate(3 * 512 + 0x3c0 + payload.len() / 2);
    assert!(builtin_certificates(&truncated, 1 << 30).is_err());
    assert!(builtin_certificates(&[], 1 << 20).is_err());
}
