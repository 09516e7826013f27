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
    assert_eq!(k.located_by, "ELF vmlinux");
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

/// The samples cut from Debian unstable's 7.2 cloud kernels (fixtures/kernel/SAMPLES.md).
#[test]
fn images_of_every_shape() {
    let arm_skid = "6bd2d3bb26884b726e754096149f00b47d043bc4";
    let x86_skid = "cdc248013ad440219bc6a7d71976b97edc126276";
    for (name, located_by, format, release, skid) in [
        (
            "arm64-Image",
            "arm64 Image header",
            "plain",
            "7.2.13+deb14-cloud-arm64",
            arm_skid,
        ),
        (
            "arm64-Image.gz",
            "magic scan at offset 0x0",
            "gzip",
            "7.2.13+deb14-cloud-arm64",
            arm_skid,
        ),
        (
            "arm64-zboot.efi",
            "EFI zboot header",
            "zstd",
            "7.2.13+deb14-cloud-arm64",
            arm_skid,
        ),
        (
            "x86-vmlinux",
            "ELF vmlinux",
            "plain",
            "7.2.13+deb14-cloud-amd64",
            x86_skid,
        ),
    ] {
        let k = builtin_certificates(&fixture(&format!("kernel/{name}")), 1 << 30).unwrap();
        assert_eq!(k.located_by, located_by, "{name}");
        assert_eq!(k.compression.name(), format, "{name}");
        assert_eq!(k.release(), Some(release), "{name}");
        assert!(k
            .banner
            .as_deref()
            .unwrap()
            .contains("(debian-kernel@lists.debian.org)"));
        // arm64 aligns the size words to 256 bytes (GNU as `.align 8` on arm64), x86 to 8.
        assert!(k.system_list, "{name}: list not identified");
        assert_eq!(k.certs.len(), 1, "{name}");
        let c = &k.certs[0].cert;
        assert_eq!(c.public_key.describe(), "ECDSA P-384", "{name}");
        assert_eq!(
            modsig::cert::hex(c.subject_key_id.as_deref().unwrap()),
            skid,
            "{name}"
        );
    }
}

#[test]
fn what_is_not_a_kernel_image_is_refused_as_such() {
    // A module is an ELF too, but a relocatable one.
    let err = builtin_certificates(&fixture("crc7.unsigned.ko"), 1 << 30).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a kernel image: an ELF relocatable object"),
        "{err}"
    );
    // An ELF executable with no banner and no certificate (the sample with both cleared).
    let mut elf = fixture("kernel/x86-vmlinux");
    elf[0x40..].fill(0);
    let err = builtin_certificates(&elf, 1 << 30).unwrap_err();
    assert!(
        err.to_string().contains("not a kernel image: neither"),
        "{err}"
    );
    for junk in [&b"not a kernel at all"[..], b"", &fixture("VECTORS.md")] {
        let err = builtin_certificates(junk, 1 << 30).unwrap_err();
        assert!(err.to_string().contains("not a kernel image"), "{err}");
    }
    // A zboot header that points outside the file, or at something not compressed.
    let zboot = fixture("kernel/arm64-zboot.efi");
    let mut bad = zboot.clone();
    bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = builtin_certificates(&bad, 1 << 30).unwrap_err();
    assert!(
        err.to_string().contains("outside the 1174-byte file"),
        "{err}"
    );
    let mut bad = zboot.clone();
    bad[0x200..0x204].fill(0);
    let err = builtin_certificates(&bad, 1 << 30).unwrap_err();
    assert!(err.to_string().contains("zboot payload (zstd22)"), "{err}");
    assert!(builtin_certificates(&zboot[..0x30], 1 << 30).is_err());
}
