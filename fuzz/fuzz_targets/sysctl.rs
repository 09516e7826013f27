//! `SysctlDump::parse` (`sysctl -a` output) and value normalisation.
#![no_main]
use kharden::probe::sysctl::{normalize_value, proc_path, SysctlDump};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = SysctlDump::parse(data);
    let text = String::from_utf8_lossy(data);
    let _ = normalize_value(&text);
    let _ = proc_path(&text);
});
