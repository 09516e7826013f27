//! The signed-module trailer (`CMS || struct module_signature || magic`), and the whole
//! verification path behind it with an empty and a populated keyring.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use modsig::{trailer, Certificate, Keyring};

fn keyring() -> &'static Keyring {
    static K: OnceLock<Keyring> = OnceLock::new();
    K.get_or_init(|| {
        let mut k = Keyring::new();
        for der in [
            &include_bytes!("../../crates/modsig/tests/fixtures/p384_cert.der")[..],
            &include_bytes!("../../crates/modsig/tests/fixtures/debian-6.1.0-56-build-key.x509")[..],
        ] {
            k.add(Certificate::from_der(der).expect("fixture certificate"));
        }
        k
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = trailer::has_magic(data);
    if let Ok(s) = trailer::split(data) {
        assert!(s.module.len() + s.cms.len() <= data.len());
    }
    let _ = trailer::strip(data);
    let _ = modsig::inspect::inspect(data);
    let _ = modsig::verify(data, &Keyring::new());
    let _ = modsig::verify(data, keyring());
});
