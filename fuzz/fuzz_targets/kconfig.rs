//! `KConfig::from_bytes`: sniffing, bounded decompression (every format kdecomp knows), then
//! the line parser, then every accessor the audit uses on a parsed config.
#![no_main]
use kharden::probe::kconfig::KConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((cfg, _format)) = KConfig::from_bytes(data) {
        let _ = cfg.len();
        for (name, value) in cfg.iter() {
            assert_eq!(cfg.get(name).is_some(), true);
            let _ = cfg.enabled(name);
            // A config value that is a rule's bound is read as a lockdown level (or a number).
            let _ = value.parse::<kharden::probe::Lockdown>();
        }
        let _ = cfg.get("MODULE_SIG");
    }
    // The plain parser on the raw bytes too, so the fuzzer needn't learn compression to reach it.
    let _ = KConfig::parse(data);
});
