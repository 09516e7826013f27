//! `Cmdline::parse` and the lookups on its result (kstrtobool, `--` handling).
#![no_main]
use kharden::probe::cmdline::{kstrtobool, param_eq, Cmdline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let cmd = Cmdline::parse(&text);
    for name in [
        "lockdown",
        "module.sig_enforce",
        "lsm",
        "init",
        "nokaslr",
        "mitigations",
    ] {
        for p in cmd.all(name) {
            let _ = kstrtobool(p.value.as_deref());
        }
        let _ = cmd.last(name);
        let _ = cmd.only_after_dashes(name);
    }
    let _ = param_eq(&text, "module.sig_enforce");
});
