//! Runtime facts read from files a root provides: the securityfs lockdown file, efivarfs
//! SecureBoot/SetupMode/MokSBStateRT variables, boot_params and kallsyms. The input is split on
//! a separator into those files, written under a private temporary root, then read back by
//! `runtime::read_live` exactly as an audit of a snapshot would.
#![no_main]
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use kharden::files::Root;
use kharden::probe::runtime::{self, Context};
use libfuzzer_sys::fuzz_target;

const FILES: &[&str] = &[
    "sys/kernel/security/lockdown",
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
    "sys/firmware/efi/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c",
    "sys/firmware/efi/efivars/MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23",
    "sys/kernel/boot_params/data",
    "proc/kallsyms",
    "sys/kernel/security/lsm",
    "sys/module/module/parameters/sig_enforce",
];

fn root_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            "/dev/shm"
        } else {
            "/tmp"
        };
        let dir = PathBuf::from(format!(
            "{base}/kharden-fuzz-runtime-{}",
            std::process::id()
        ));
        for f in FILES {
            std::fs::create_dir_all(dir.join(f).parent().unwrap()).unwrap();
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    // The lockdown parser on its own first.
    let _ = runtime::parse_lockdown(&String::from_utf8_lossy(data));

    let dir = root_dir();
    let mut parts = data.split(|&b| b == 0xff);
    for f in FILES {
        let path = dir.join(f);
        match parts.next() {
            // An empty part means "file absent", so the fuzzer explores the fallbacks too.
            Some(p) if !p.is_empty() => std::fs::write(&path, &p[1..]).unwrap(),
            _ => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let sysctl = BTreeMap::new();
    for arch in [Some("x86_64"), Some("arm64"), None] {
        let ctx = Context {
            kconfig: None,
            cmdline: None,
            sysctl: &sysctl,
            arch,
        };
        let _ = runtime::read_live(&Root::new(dir), &ctx, None);
    }
});
