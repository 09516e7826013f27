//! Security review case 10: memory does not grow with the number of jobs. 64 zstd bombs (a few
//! KB each, 1 GiB of zeros declared and delivered) verified with `-j 64` stay within the one
//! budget every module read shares (crates/kharden/src/modules/budget.rs: 1 GiB), measured as
//! the process's VmHWM. Before the budget, each job could hold 512 MiB: 64 jobs, 32 GiB.

mod common;

use std::fs;
use std::path::Path;

use common::{run_measured, zstd_bomb};

/// The budget and what the process needs besides decompression (64 thread stacks, the
/// binary, the allocator's own slack).
const BUDGET_AND_SLACK: u64 = (1 << 30) + (160 << 20);

#[test]
fn verify_of_64_bombs_with_64_jobs_stays_within_one_memory_budget() {
    let d = tempfile::tempdir().unwrap();
    let bomb = zstd_bomb(1 << 30);
    assert!(bomb.len() < 128 << 10, "{} bytes", bomb.len());
    for i in 0..64 {
        fs::write(d.path().join(format!("bomb{i:02}.ko.zst")), &bomb).unwrap();
    }
    let cert =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../modsig/tests/fixtures/rsa4096_cert.der");
    let (out, hwm) = run_measured(&[
        "modsign",
        "verify",
        "-j",
        "64",
        "--cert",
        cert.to_str().unwrap(),
        d.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Every bomb is judged (refused as too large), none is lost, nothing is killed.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("64 modules: 64 unsupported"), "{stdout}");
    assert!(hwm < BUDGET_AND_SLACK, "VmHWM {} MiB", hwm >> 20);
    eprintln!("VmHWM with 64 bombs and -j 64: {} MiB", hwm >> 20);
}
