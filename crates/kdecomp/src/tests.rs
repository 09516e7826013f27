use super::*;
use std::io::Write;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn lz4_legacy(data: &[u8], block: usize) -> Vec<u8> {
    let mut out = lz4legacy::LEGACY_MAGIC.to_vec();
    for chunk in data.chunks(block) {
        let c = lz4_flex::block::compress(chunk);
        out.extend_from_slice(&(c.len() as u32).to_le_bytes());
        out.extend_from_slice(&c);
    }
    out
}

#[test]
fn detects_by_content_and_round_trips() {
    let text = b"CONFIG_MODULES=y\n".repeat(100);
    let gz = gzip(&text);
    let xz = {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(&text).unwrap();
        e.finish().unwrap()
    };
    let zst = zstd::encode_all(&text[..], 3).unwrap();
    let lzma = {
        let opts = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
        let s = liblzma::stream::Stream::new_lzma_encoder(&opts).unwrap();
        let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), s);
        e.write_all(&text).unwrap();
        e.finish().unwrap()
    };
    let lz4f = {
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(&text).unwrap();
        e.finish().unwrap()
    };
    let bz = {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        e.write_all(&text).unwrap();
        e.finish().unwrap()
    };
    let lz4l = lz4_legacy(&text, 500);
    for (bytes, fmt) in [
        (&text[..], Format::Plain),
        (&gz[..], Format::Gzip),
        (&xz[..], Format::Xz),
        (&zst[..], Format::Zstd),
        (&lzma[..], Format::Lzma),
        (&lz4f[..], Format::Lz4),
        (&lz4l[..], Format::Lz4),
        (&bz[..], Format::Bzip2),
    ] {
        let (got, out) = decompress(bytes, 1 << 20).unwrap();
        assert_eq!(got, fmt);
        assert_eq!(out, text, "{fmt:?}");
        let (got, mut r) = reader(bytes).unwrap();
        assert_eq!(got, fmt);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, text, "reader {fmt:?}");
    }
}

#[test]
fn real_tool_output_decompresses() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let plain = std::fs::read(format!("{dir}config.txt")).unwrap();
    for (ext, fmt) in [
        ("lzma", Format::Lzma),
        ("lz4legacy", Format::Lz4),
        ("lz4", Format::Lz4),
        ("bz2", Format::Bzip2),
        ("xz", Format::Xz),
        ("gz", Format::Gzip),
        ("zst", Format::Zstd),
    ] {
        let data = std::fs::read(format!("{dir}config.txt.{ext}")).unwrap();
        let (got, out) = decompress(&data, 1 << 20).unwrap();
        assert_eq!((got, out.len()), (fmt, plain.len()), "{ext}");
        assert!(out == plain, "{ext}");
    }
}

#[test]
fn reader_ignores_the_kernel_size_trailer() {
    // The kernel build appends the uncompressed length (le32) after the compressed payload.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let plain = std::fs::read(format!("{dir}config.txt")).unwrap();
    for ext in ["lzma", "lz4legacy", "bz2", "xz", "gz", "zst"] {
        let mut data = std::fs::read(format!("{dir}config.txt.{ext}")).unwrap();
        data.extend_from_slice(&(plain.len() as u32).to_le_bytes());
        let (_, r) = reader(&data).unwrap();
        let mut out = Vec::new();
        r.take(1 << 20).read_to_end(&mut out).unwrap();
        assert!(out == plain, "{ext}");
    }
}

#[test]
fn truncated_gzip_is_an_error() {
    let gz = gzip(&b"CONFIG_X=y\n".repeat(1000));
    let err = decompress(&gz[..gz.len() / 2], 1 << 20).unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { format: "gzip", .. }),
        "{err}"
    );
}

#[test]
fn truncated_inputs_of_every_format_are_errors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    for ext in ["lzma", "lz4legacy", "lz4", "bz2", "xz", "gz", "zst"] {
        let data = std::fs::read(format!("{dir}config.txt.{ext}")).unwrap();
        let cut = &data[..data.len() / 2];
        let res = decompress(cut, 1 << 20);
        assert!(
            matches!(res, Err(Error::Corrupt { .. })),
            "{ext}: {:?}",
            res.map(|(f, v)| (f, v.len()))
        );
    }
}

#[test]
fn output_is_bounded() {
    let gz = gzip(&vec![b'a'; 10_000]);
    let err = decompress(&gz, 9_999).unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 9_999, .. }));
    assert_eq!(decompress(&gz, 10_000).unwrap().1.len(), 10_000);
    let big = lz4_legacy(&vec![0u8; 4 << 20], 1 << 20);
    assert!(matches!(
        decompress(&big, 1 << 20),
        Err(Error::TooLarge { format: "lz4", .. })
    ));
}

#[test]
fn compress_round_trips_and_matches_the_kernel_install_step() {
    let text = b"\x7fELF module bytes ".repeat(5000);
    for fmt in [Format::Gzip, Format::Xz, Format::Zstd] {
        let c = compress(fmt, &text).unwrap();
        assert_eq!(detect(&c), fmt);
        assert_eq!(decompress(&c, 1 << 20).unwrap().1, text);
    }
    // gzip -n: no mtime, no name (FLG = 0), OS = Unix.
    let gz = compress(Format::Gzip, &text).unwrap();
    assert_eq!(&gz[3..10], &[0, 0, 0, 0, 0, 0, 3][..]);
    // xz: stream flags say CRC32 (check id 1), as the in-kernel decoder needs.
    let xz = compress(Format::Xz, &text).unwrap();
    assert_eq!(&xz[6..8], &[0x00, 0x01]);
    assert!(matches!(
        compress(Format::Bzip2, &text),
        Err(Error::CompressUnsupported { .. })
    ));
}

#[test]
fn garbage_is_plain_and_bad_magic_is_corrupt() {
    assert_eq!(detect(b"BZhx"), Format::Plain);
    assert_eq!(detect(b""), Format::Plain);
    assert!(decompress(&[0x1f, 0x8b, 0x08, 0, 0], 100).is_err());
    assert!(decompress(&lz4legacy::LEGACY_MAGIC, 100).is_err());
}

#[test]
fn size_hints_match_real_tool_output() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let plain = std::fs::read(format!("{dir}config.txt")).unwrap().len() as u64;
    for ext in ["xz", "gz", "zst"] {
        let data = std::fs::read(format!("{dir}config.txt.{ext}")).unwrap();
        assert_eq!(size_hint(&data), Some(plain), "{ext}");
    }
    let c = compress(Format::Xz, &vec![7u8; 300_000]).unwrap();
    assert_eq!(size_hint(&c), Some(300_000));
    assert_eq!(size_hint(&c[..c.len() - 1]), None);
    assert_eq!(size_hint(b"\xfd7zXZ\x00 truncated YZ"), None);
}

#[test]
fn xz_output_is_bounded_at_the_exact_limit() {
    let xz = compress(Format::Xz, &vec![b'a'; 10_000]).unwrap();
    assert!(matches!(
        decompress(&xz, 9_999),
        Err(Error::TooLarge { format: "xz", .. })
    ));
    assert_eq!(decompress(&xz, 10_000).unwrap().1.len(), 10_000);
    // Two concatenated streams, and a stream whose index lies about the size.
    let mut two = xz.clone();
    two.extend_from_slice(&xz);
    assert_eq!(decompress(&two, 1 << 20).unwrap().1.len(), 20_000);
    assert!(matches!(
        decompress(&two, 15_000),
        Err(Error::TooLarge { .. })
    ));
}
