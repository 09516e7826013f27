//! The CMS/PKCS#7 SignedData reader and the DER reader under it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use modsig::{cms, der};

fuzz_target!(|data: &[u8]| {
    if let Ok(sd) = cms::parse(data) {
        for s in &sd.signers {
            let _ = s.hash();
        }
    }
    let mut r = der::Reader::new(data);
    while let Ok(t) = r.any() {
        let mut inner = t.reader();
        while inner.any().is_ok() {}
    }
    // The same bytes wrapped as a module trailer, so the verify path meets arbitrary CMS.
    let signed = modsig::trailer::append(b"\x7fELF module body", data);
    let _ = modsig::inspect::inspect(&signed);
    let _ = modsig::verify(&signed, &modsig::Keyring::new());
});
