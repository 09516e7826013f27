//! X.509 certificate parsing (DER and PEM) and every accessor the CLI prints.
#![no_main]
use libfuzzer_sys::fuzz_target;
use modsig::Certificate;

fn touch(c: &Certificate) {
    let _ = c.public_key.describe();
    let _ = c.subject_name();
    let _ = c.issuer_name();
    let _ = c.signer_name();
    let _ = c.serial_hex();
    let _ = c.pem();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Certificate::from_der(data) {
        touch(&c);
    }
    if let Ok(cs) = Certificate::from_pem_or_der(data) {
        cs.iter().for_each(touch);
    }
    let _ = modsig::cert::looks_like_certificate(data);
    let _ = modsig::cert::common_name(data);
    let _ = modsig::pem::parse(data);
});
