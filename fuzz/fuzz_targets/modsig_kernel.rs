//! Kernel image scanning: bzImage header, compression magic scan, bounded decompression of the
//! payload, and the search for `system_certificate_list`.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// Small, so a payload that decompresses without end is cut off cheaply; the CLI's bound is
/// exercised by crates/kharden/tests/faults.rs.
const LIMIT: u64 = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = modsig::kernel::builtin_certificates(data, LIMIT);
});
