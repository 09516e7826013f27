//! Security review case 10: memory does not grow with the number of jobs. 64 zstd bombs (a few
//! KB each, 1 GiB of zeros declared and delivered) verified with `-j 64` stay within the one
//! budget every module read shares (crates/kharden/src/modules/budget.rs: 1 GiB), measured as
//! the process's VmHWM. Before the budget, each job could hold 512 MiB: 64 jobs, 32 GiB.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The budget and what the process needs besides decompression (64 thread stacks, the
/// binary, the allocator's own slack).
const BUDGET_AND_SLACK: u64 = (1 << 30) + (160 << 20);

fn zstd_bomb(len: u64) -> Vec<u8> {
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    enc.set_pledged_src_size(Some(len)).unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        std::io::Write::write_all(&mut enc, &chunk[..n]).unwrap();
        left -= n as u64;
    }
    enc.finish().unwrap()
}

/// Run kharden and sample its VmHWM (peak resident memory) until it exits.
fn run_measured(args: &[&str]) -> (std::process::Output, u64) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_kharden"))
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut hwm = 0u64;
        while !flag.load(Ordering::Relaxed) {
            if let Ok(s) = fs::read_to_string(&status) {
                if let Some(kb) = s
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    hwm = hwm.max(kb << 10);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        hwm
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, Ordering::Relaxed);
    (out, sampler.join().unwrap())
}

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
