//! Inputs the fuzzers found (fuzz/, `scripts/fuzz-smoke.sh`), kept so they stay fixed.
//! Each file in tests/fuzz-regressions/ is named `<what>-<libFuzzer kind>-<hash prefix>`.

use std::path::Path;

fn regression(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-regressions")
            .join(name),
    )
    .unwrap()
}

/// An lzma ("alone") header declaring a 2.2 GiB dictionary: liblzma allocated it before reading
/// a byte (found by the kconfig target as a 2.3 GB malloc). Now the decoder's memory is capped
/// and the data is refused.
#[test]
fn lzma_header_with_a_huge_dictionary_is_refused_not_allocated() {
    let data = regression("lzma-dict-2GiB-oom-7c8814b8");
    assert_eq!(kdecomp::detect(&data), kdecomp::Format::Lzma);
    let err = kdecomp::decompress(&data, 512 << 20).unwrap_err();
    assert!(err.to_string().starts_with("lzma data is corrupt"), "{err}");
    let (_, mut r) = kdecomp::reader(&data).unwrap();
    let mut sink = Vec::new();
    assert!(std::io::Read::read_to_end(&mut r, &mut sink).is_err());
}

/// The same for xz: a block header can declare a dictionary of up to 1.5 GiB.
#[test]
fn xz_dictionary_above_the_decoder_memory_is_refused() {
    // A real xz stream of 300 bytes compressed with a 192 MiB dictionary.
    let data = kdecomp_xz_with_dict(192 << 20);
    let err = kdecomp::decompress(&data, 512 << 20).unwrap_err();
    assert!(err.to_string().contains("xz data is corrupt"), "{err}");
    // 64 MiB (xz -9) and 128 MiB (Linux 7.x scripts/xz_wrap.sh, what its xz bzImages
    // declare) still decode.
    for dict in [64 << 20, 128 << 20] {
        let ok = kdecomp_xz_with_dict(dict);
        assert_eq!(
            kdecomp::decompress(&ok, 512 << 20).unwrap().1,
            vec![b'k'; 300],
            "dict {dict}"
        );
    }
}

fn kdecomp_xz_with_dict(dict: u32) -> Vec<u8> {
    use liblzma::stream::{Check, Filters, LzmaOptions, Stream};
    let mut opts = LzmaOptions::new_preset(6).unwrap();
    opts.dict_size(dict);
    let mut filters = Filters::new();
    filters.lzma2(&opts);
    let stream = Stream::new_stream_encoder(&filters, Check::Crc32).unwrap();
    let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    std::io::Write::write_all(&mut enc, &[b'k'; 300]).unwrap();
    enc.finish().unwrap()
}
