//! Where the time of `kharden audit --config X --no-live --format json` goes, phase by phase:
//! load the profile, read and parse the config (the probe), evaluate, write the JSON report.
//!
//!     cargo build --release -p kharden --example audit-phases
//!     target/release/examples/audit-phases CONFIG [PROFILE] [RUNS]
//!
//! Prints the phases of the first pass (a fresh process: page faults included, as in a real
//! run) and the mean of RUNS further passes (warm: allocator and caches primed), in
//! microseconds. Whole-process time against kernel-hardening-checker is scripts/bench/bench-audit.sh.

use std::time::{Duration, Instant};

use kharden::probe::ProbeOptions;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(config) = args.next() else {
        eprintln!("usage: audit-phases CONFIG [PROFILE] [RUNS]");
        std::process::exit(2);
    };
    let profile_name = args.next().unwrap_or_else(|| "full".into());
    let runs: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(100);
    let opts = ProbeOptions {
        root: "/".into(),
        config: Some(config.into()),
        cmdline: None,
        sysctl: None,
        live: false,
    };
    let mut out = Vec::with_capacity(1 << 20);
    let mut plain = Vec::with_capacity(1 << 20);
    let mut pass = || -> [Duration; 5] {
        let t0 = Instant::now();
        let profile = kharden::policy::builtin::load(&profile_name).unwrap_or_else(|e| {
            eprintln!("audit-phases: {e}");
            std::process::exit(2)
        });
        let t1 = Instant::now();
        let facts = kharden::probe::read_facts(&opts, &profile.sysctl_keys()).unwrap_or_else(|e| {
            eprintln!("audit-phases: {e}");
            std::process::exit(2)
        });
        let t2 = Instant::now();
        let report = kharden::audit::run(&profile, &facts);
        let t3 = Instant::now();
        out.clear();
        kharden::report::json::write(&report, &mut out).expect("writing to memory");
        let t4 = Instant::now();
        // The same document through serde_json's own pretty printer, for comparison with
        // kharden's layout-identical formatter (report/json.rs).
        plain.clear();
        serde_json::to_writer_pretty(&mut plain, &report).expect("writing to memory");
        plain.push(b'\n');
        let t5 = Instant::now();
        assert_eq!(plain, out, "the two printers disagree");
        [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]
    };
    let first = pass();
    let mut sum = [Duration::ZERO; 5];
    for _ in 0..runs {
        for (s, d) in sum.iter_mut().zip(pass()) {
            *s += d;
        }
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("phase      first pass us   warm mean us ({runs} runs)");
    let phases = ["load", "probe", "evaluate", "json", "json-serde"];
    for (i, name) in phases.iter().enumerate() {
        println!(
            "{name:<10} {:>13.0}   {:>12.0}",
            us(first[i]),
            us(sum[i]) / f64::from(runs.max(1))
        );
    }
    println!("json bytes {}", out.len());
}
