//! kdecomp: detection, size hints, bounded whole-buffer decompression and the streaming reader.
#![no_main]
use std::io::Read;

use libfuzzer_sys::fuzz_target;

/// Small enough that a bomb costs the fuzzer nothing; the bound itself is what is tested.
const LIMIT: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = kdecomp::size_hint(data);
    match kdecomp::decompress(data, LIMIT) {
        Ok((_, out)) => assert!(out.len() as u64 <= LIMIT, "limit exceeded: {}", out.len()),
        Err(_) => {}
    }
    if let Ok((_, r)) = kdecomp::reader(data) {
        let mut sink = Vec::new();
        let _ = r.take(LIMIT).read_to_end(&mut sink);
    }
});
