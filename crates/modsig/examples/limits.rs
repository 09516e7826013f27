//! The floors the modsign benchmark compares against (scripts/bench-modsign.sh), measured with
//! the same crypto library kharden uses, on `JOBS` threads:
//!   sign floor   = N RSA-4096 signatures at aws-lc-rs's own rate + reading and SHA-512-hashing
//!                  every module;
//!   verify floor = reading and SHA-256-hashing every module + N RSA-4096 verifications.
//! Prints `key=value` lines. Usage: cargo run --release -p modsig --example limits -- DIR [JOBS]

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};

fn modules(dir: PathBuf, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let ft = e.file_type().expect("file_type");
        if ft.is_dir() {
            modules(e.path(), out);
        } else if ft.is_file() && e.file_name().to_string_lossy().ends_with(".ko") {
            out.push(e.path());
        }
    }
}

/// Run `f(i)` for i in 0..n on `jobs` threads; wall seconds.
fn timed(n: usize, jobs: usize, f: impl Fn(usize) + Sync) -> f64 {
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                f(i);
            });
        }
    });
    t.elapsed().as_secs_f64()
}

fn read_and_hash(files: &[PathBuf], jobs: usize, alg: &'static digest::Algorithm) -> f64 {
    timed(files.len(), jobs, |i| {
        let mut f = std::fs::File::open(&files[i]).expect("open");
        let mut ctx = digest::Context::new(alg);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            ctx.update(&buf[..n]);
        }
        std::hint::black_box(ctx.finish());
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: limits DIR [JOBS]"));
    let jobs: usize = args.next().map_or(2, |j| j.parse().expect("JOBS"));
    let mut files = Vec::new();
    modules(dir, &mut files);
    let n = files.len();
    let bytes: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    // Warm the page cache as the timed runs will find it.
    read_and_hash(&files, jobs, &digest::SHA256);

    let key = RsaKeyPair::generate(KeySize::Rsa4096).expect("keygen");
    let rng = SystemRandom::new();
    let msg = b"module digest input";
    let sample = 400.min(n.max(1) * 2);
    let sign_s = timed(sample, jobs, |_| {
        let mut sig = vec![0u8; key.public_modulus_len()];
        key.sign(&signature::RSA_PKCS1_SHA512, &rng, msg, &mut sig)
            .expect("sign");
    });
    let sign_rate = sample as f64 / sign_s;
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(&signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
        .expect("sign");
    let public = key.public_key().as_ref().to_vec();
    let verify_s = timed(n, jobs, |_| {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public)
            .verify(msg, &sig)
            .expect("verify");
    });
    let sha512_s = read_and_hash(&files, jobs, &digest::SHA512);
    let sha256_s = read_and_hash(&files, jobs, &digest::SHA256);
    let sign_floor = n as f64 / sign_rate + sha512_s;
    let verify_floor = sha256_s + verify_s;
    println!("modules={n}");
    println!("bytes={bytes}");
    println!("jobs={jobs}");
    println!("rsa4096_sign_per_s={sign_rate:.1}");
    println!("rsa4096_verify_all_s={verify_s:.3}");
    println!("read_sha512_all_s={sha512_s:.3}");
    println!("read_sha256_all_s={sha256_s:.3}");
    println!("sign_floor_s={sign_floor:.3}");
    println!("verify_floor_s={verify_floor:.3}");
}
