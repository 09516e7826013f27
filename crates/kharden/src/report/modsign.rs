//! Every `kharden modsign` output, from typed values: verify, inspect, certs and the sign-tree
//! summary; human text (input-derived strings escaped) and JSON.
//!
//! The JSON field order is alphabetical: the contract (`kharden.modsign.verify/1`, `.inspect/1`,
//! `.certs/1`) was first written with `serde_json::json!`, whose objects sort their keys, and
//! it stays byte-identical.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use modsig::inspect::{Inspection, SignerInfoView};
use modsig::kernel::KernelCerts;
use modsig::Status;
use serde::Serialize;

use crate::term::clean;
// The trait is report-wide (report/mod.rs); also reachable here, where modsign's CLI imports it.
pub use super::Render;
use crate::modules::verify::Checked;

/// `mib` as the summaries print it.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

// ---------------------------------------------------------------------------------------------
// verify

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    pub generator: crate::generator::Generator,
    pub modules: Vec<ModuleVerdict>,
    pub schema: &'static str,
    #[schemars(schema_with = "super::schema::status_counts")]
    pub summary: BTreeMap<&'static str, usize>,
    /// The human output lists every module, not only those that would be refused (`-v`).
    /// JSON always lists every module.
    #[serde(skip)]
    pub verbose: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ModuleVerdict {
    pub detail: String,
    pub hash: Option<String>,
    pub key_id: Option<String>,
    pub path: String,
    pub signer: Option<String>,
    #[schemars(schema_with = "super::schema::module_status")]
    pub status: &'static str,
}

impl VerifyReport {
    /// The report of the modules that were read; the errors of the others (after those of
    /// the paths that could not be listed) are returned apart, for stderr.
    pub fn new(checked: Vec<Checked>, mut errors: Vec<String>) -> (VerifyReport, Vec<String>) {
        let mut report = VerifyReport {
            generator: crate::generator::GENERATOR,
            modules: Vec::with_capacity(checked.len()),
            schema: "kharden.modsign.verify/1",
            summary: BTreeMap::new(),
            verbose: false,
        };
        for c in checked {
            match c.outcome {
                Err(e) => errors.push(e),
                Ok(v) => {
                    *report.summary.entry(v.status.name()).or_default() += 1;
                    report.modules.push(ModuleVerdict {
                        detail: v.detail,
                        hash: v.hash,
                        key_id: v.key_id,
                        path: c.path.display().to_string(),
                        signer: v.signer,
                        status: v.status.name(),
                    });
                }
            }
        }
        (report, errors)
    }

    /// Whether a module would be refused with `module.sig_enforce=1`.
    pub fn refused(&self) -> bool {
        Status::ALL
            .iter()
            .any(|s| s.refused_under_enforcement() && self.summary.contains_key(s.name()))
    }
}

/// One line per module that would be refused under enforcement (every module with `verbose`),
/// then the summary of all of them.
impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let refused = |m: &&ModuleVerdict| {
            Status::ALL
                .iter()
                .any(|s| s.name() == m.status && s.refused_under_enforcement())
        };
        for m in self.modules.iter().filter(|m| self.verbose || refused(m)) {
            writeln!(
                f,
                "{:<13} {}: {}",
                m.status,
                clean(&m.path),
                clean(&m.detail)
            )?;
        }
        let total: usize = self.summary.values().sum();
        let parts: Vec<String> = Status::ALL
            .iter()
            .filter_map(|s| {
                self.summary
                    .get(s.name())
                    .map(|n| format!("{n} {}", s.name()))
            })
            .collect();
        writeln!(
            f,
            "{total} modules: {}{}",
            if parts.is_empty() {
                "none".to_string()
            } else {
                parts.join(", ")
            },
            if self.refused() {
                "; some would be refused with module.sig_enforce=1"
            } else {
                ""
            }
        )
    }
}

// ---------------------------------------------------------------------------------------------
// inspect

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InspectReport {
    pub generator: crate::generator::Generator,
    pub modules: Vec<ModuleInspection>,
    pub schema: &'static str,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ModuleInspection {
    pub cms: Option<CmsView>,
    pub cms_error: Option<String>,
    pub compression: &'static str,
    pub file_len: usize,
    pub module_len: Option<usize>,
    pub path: String,
    pub signed: bool,
    pub trailer: Option<TrailerView>,
    pub trailer_error: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TrailerView {
    pub algo: u8,
    pub hash: u8,
    pub id_type: u8,
    pub key_id_len: u8,
    pub pad: [u8; 3],
    pub sig_len: u32,
    pub signer_len: u8,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CmsView {
    pub certificates: usize,
    pub content_type: String,
    pub detached: bool,
    pub digest_algorithms: Vec<String>,
    pub econtent_type: String,
    pub signers: Vec<SignerView>,
    pub version: Option<u64>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SignerView {
    pub digest: String,
    pub id_kind: &'static str,
    pub issuer: Option<String>,
    pub serial: Option<String>,
    pub signature: String,
    pub signature_algorithm: String,
    pub signature_len: usize,
    pub signed_attributes: Vec<String>,
    pub signer: Option<String>,
    pub subject_key_id: Option<String>,
    pub unsigned_attributes: bool,
    pub version: Option<u64>,
}

impl From<&SignerInfoView> for SignerView {
    fn from(s: &SignerInfoView) -> SignerView {
        SignerView {
            digest: s.digest.clone(),
            id_kind: s.id_kind,
            issuer: s.issuer.clone(),
            serial: s.serial.clone(),
            signature: s.signature.clone(),
            signature_algorithm: s.signature_algorithm.clone(),
            signature_len: s.signature_len,
            signed_attributes: s.signed_attributes.clone(),
            signer: s.signer.clone(),
            subject_key_id: s.subject_key_id.clone(),
            unsigned_attributes: s.unsigned_attributes,
            version: s.version,
        }
    }
}

impl ModuleInspection {
    pub fn new(path: &Path, format: kdecomp::Format, i: &Inspection) -> ModuleInspection {
        ModuleInspection {
            cms: i.cms.as_ref().map(|c| CmsView {
                certificates: c.certificates,
                content_type: c.content_type.clone(),
                detached: c.detached,
                digest_algorithms: c.digest_algorithms.clone(),
                econtent_type: c.econtent_type.clone(),
                signers: c.signers.iter().map(SignerView::from).collect(),
                version: c.signed_data_version,
            }),
            cms_error: i.cms_error.clone(),
            compression: format.name(),
            file_len: i.file_len,
            module_len: i.module_len,
            path: path.display().to_string(),
            signed: i.signed,
            trailer: i.trailer.map(|t| TrailerView {
                algo: t.algo,
                hash: t.hash,
                id_type: t.id_type,
                key_id_len: t.key_id_len,
                pad: t.pad,
                sig_len: t.sig_len,
                signer_len: t.signer_len,
            }),
            trailer_error: i.trailer_error.clone(),
        }
    }
}

/// One `label: value` line of `inspect` and `certs`, the values in one column.
fn row(f: &mut fmt::Formatter<'_>, label: &str, value: impl fmt::Display) -> fmt::Result {
    writeln!(f, "  {:<16}{value}", format!("{label}:"))
}

/// What `modinfo` shows, and more.
impl fmt::Display for ModuleInspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", clean(&self.path))?;
        row(f, "compression", self.compression)?;
        row(
            f,
            "length",
            format_args!("{} bytes (decompressed)", self.file_len),
        )?;
        if !self.signed {
            return row(
                f,
                "signature",
                "none (no \"~Module signature appended~\" magic)",
            );
        }
        if let Some(t) = &self.trailer {
            row(
                f,
                "trailer",
                format_args!(
                    "algo={} hash={} id_type={}{} signer_len={} key_id_len={} pad={:02x}{:02x}{:02x} sig_len={}",
                    t.algo,
                    t.hash,
                    t.id_type,
                    if t.id_type == 2 { " (PKCS#7)" } else { "" },
                    t.signer_len,
                    t.key_id_len,
                    t.pad[0],
                    t.pad[1],
                    t.pad[2],
                    t.sig_len
                ),
            )?;
        }
        if let Some(e) = &self.trailer_error {
            row(f, "trailer error", clean(e))?;
        }
        if let Some(m) = self.module_len {
            row(f, "signed content", format_args!("{m} bytes"))?;
        }
        if let Some(e) = &self.cms_error {
            row(f, "CMS error", clean(e))?;
        }
        let Some(c) = &self.cms else { return Ok(()) };
        row(f, "sig_id", "PKCS#7")?;
        row(
            f,
            "CMS",
            format_args!(
                "{} version {}, digestAlgorithms [{}], eContentType {}{}, {} certificate(s)",
                c.content_type,
                c.version.map_or("?".into(), |v| v.to_string()),
                c.digest_algorithms.join(", "),
                c.econtent_type,
                if c.detached {
                    " (detached)"
                } else {
                    " (embedded content)"
                },
                c.certificates
            ),
        )?;
        c.signers.iter().try_for_each(|s| write!(f, "{s}"))
    }
}

/// One signer of an inspected module, as the lines under its module.
impl fmt::Display for SignerView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.signer {
            row(f, "signer", clean(n))?;
        }
        if let Some(k) = &self.serial {
            row(f, "sig_key", k)?;
        }
        row(f, "sig_hashalgo", &self.digest)?;
        let version = self.version.map_or("?".into(), |v| v.to_string());
        row(
            f,
            "signer id",
            format_args!("{} (SignerInfo version {version})", self.id_kind),
        )?;
        if let Some(iss) = &self.issuer {
            row(f, "issuer", clean(iss))?;
        }
        if let Some(k) = &self.subject_key_id {
            row(f, "subject key id", k)?;
        }
        row(f, "signature alg", &self.signature_algorithm)?;
        let attrs = if self.signed_attributes.is_empty() {
            "none".to_string()
        } else {
            self.signed_attributes.join(", ")
        };
        row(f, "signed attrs", attrs)?;
        row(f, "signature", format_args!("{} bytes", self.signature_len))?;
        for chunk in self.signature.split(':').collect::<Vec<_>>().chunks(20) {
            writeln!(f, "\t\t{}", chunk.join(":"))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// certs

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CertsReport {
    pub certificates: Vec<CertView>,
    pub compression: &'static str,
    pub generator: crate::generator::Generator,
    pub kernel: String,
    pub located_by: String,
    /// The release named by the image's `Linux version` banner.
    pub release: Option<String>,
    pub schema: &'static str,
    pub system_certificate_list: bool,
    #[serde(skip)]
    decompressed_len: u64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CertView {
    pub issuer: String,
    pub key: String,
    pub not_after: String,
    pub not_before: String,
    pub offset: u64,
    pub serial: String,
    pub subject: String,
    pub subject_key_id: Option<String>,
}

impl CertsReport {
    pub fn new(kernel: &Path, k: &KernelCerts) -> CertsReport {
        CertsReport {
            generator: crate::generator::GENERATOR,
            certificates: k
                .certs
                .iter()
                .map(|c| CertView {
                    issuer: c.cert.issuer_name(),
                    key: c.cert.public_key.describe(),
                    not_after: c.cert.not_after.clone(),
                    not_before: c.cert.not_before.clone(),
                    offset: c.offset,
                    serial: c.cert.serial_hex(),
                    subject: c.cert.subject_name(),
                    subject_key_id: c.cert.subject_key_id.as_deref().map(modsig::cert::hex),
                })
                .collect(),
            compression: k.compression.name(),
            kernel: kernel.display().to_string(),
            located_by: k.located_by.clone(),
            release: k.release().map(str::to_string),
            schema: "kharden.modsign.certs/1",
            system_certificate_list: k.system_list,
            decompressed_len: k.decompressed_len,
        }
    }

    /// The line on stderr when the image has no certificate at all.    /// The line on stderr when the image has no certificate at all.
    pub fn none_found(&self) -> String {
        format!(
            "{}: no built-in certificates found ({} payload, {} decompressed): a kernel \
             built without module signing or trusted keys",
            clean(&self.kernel),
            self.compression,
            mib(self.decompressed_len)
        )
    }
}

impl fmt::Display for CertsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {}{} payload found by {}, {} decompressed; {} certificate(s){}",
            clean(&self.kernel),
            self.release
                .as_deref()
                .map(|r| format!("Linux {}, ", clean(r)))
                .unwrap_or_default(),
            self.compression,
            self.located_by,
            mib(self.decompressed_len),
            self.certificates.len(),
            if self.system_certificate_list {
                " in system_certificate_list"
            } else {
                " (system_certificate_list not identified: all found)"
            }
        )?;
        for c in &self.certificates {
            writeln!(f, "- subject:        {}", clean(&c.subject))?;
            row(f, "issuer", clean(&c.issuer))?;
            row(f, "serial", &c.serial)?;
            let skid = c.subject_key_id.as_deref().unwrap_or("(none)");
            row(f, "subject key id", skid)?;
            row(f, "key", &c.key)?;
            row(
                f,
                "validity",
                format_args!("{} to {}", c.not_before, c.not_after),
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// sign-tree

/// What a sign-tree run did; as JSON, the `kharden.modsign.sign-tree/1` document (with
/// [`SignTreeDoc`]).
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct SignSummary {
    pub signed: usize,
    pub replaced: usize,
    pub bytes: u64,
    pub skipped: Vec<String>,
    pub failed: Vec<String>,
    pub seconds: f64,
    /// "RSA-4096 (4096-bit)" ...
    pub key: String,
    pub hash: String,
    pub signer: String,
    pub key_id: String,
    pub cert_out: String,
}

/// The `kharden.modsign.sign-tree/1` document: the summary's fields (`failed` and `skipped`
/// hold one `path: reason` each), what made it and its schema.
#[derive(Serialize, schemars::JsonSchema)]
pub struct SignTreeDoc<'a> {
    pub generator: crate::generator::Generator,
    pub schema: &'static str,
    #[serde(flatten)]
    pub summary: &'a SignSummary,
}

impl SignSummary {
    /// A summary of `results`, signed by `cert` with `hash`, its certificate written to
    /// `cert_out`.
    pub fn new(
        results: Vec<crate::modules::sign::Signed>,
        cert: &modsig::cert::Certificate,
        hash: modsig::HashAlgo,
        cert_out: &Path,
    ) -> SignSummary {
        let mut summary = SignSummary {
            key: cert.public_key.describe(),
            hash: hash.to_string(),
            signer: cert.signer_name(),
            key_id: cert
                .subject_key_id
                .as_deref()
                .map(modsig::cert::hex)
                .unwrap_or_default(),
            cert_out: cert_out.display().to_string(),
            ..SignSummary::default()
        };
        for r in results {
            summary.add(r);
        }
        summary
    }

    pub fn add(&mut self, r: crate::modules::sign::Signed) {
        use crate::modules::sign::Signed;
        match r {
            Signed::Signed { bytes, replaced } => {
                self.signed += 1;
                self.bytes += bytes;
                self.replaced += replaced as usize;
            }
            Signed::Skipped(why) => self.skipped.push(why),
            Signed::Failed(why) => self.failed.push(why),
        }
    }

    /// The lines for stderr: what was skipped and what failed.
    pub fn problems(&self) -> String {
        let skipped = self.skipped.iter().map(|s| ("skipped", s));
        let failed = self.failed.iter().map(|f| ("failed", f));
        skipped
            .chain(failed)
            .map(|(what, why)| format!("kharden: {what} {}\n", clean(why)))
            .collect()
    }
}

impl Render for SignSummary {
    /// The `kharden.modsign.sign-tree/1` document.
    fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&SignTreeDoc {
            generator: crate::generator::GENERATOR,
            schema: "kharden.modsign.sign-tree/1",
            summary: self,
        })
        .expect("a summary serialises");
        s.push('\n');
        s
    }
}

impl fmt::Display for SignSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "signed {} modules ({} re-signed), skipped {}, failed {}, {} written in {:.2} s\n\
             key: {} with {}, signer \"{}\", key id {}; certificate: {}; private key destroyed\n",
            self.signed,
            self.replaced,
            self.skipped.len(),
            self.failed.len(),
            mib(self.bytes),
            self.seconds,
            self.key,
            self.hash,
            clean(&self.signer),
            self.key_id,
            clean(&self.cert_out)
        )
    }
}

impl Render for VerifyReport {}

impl Render for CertsReport {}

impl InspectReport {
    pub fn new(modules: Vec<ModuleInspection>) -> InspectReport {
        InspectReport {
            generator: crate::generator::GENERATOR,
            modules,
            schema: "kharden.modsign.inspect/1",
        }
    }
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.modules.iter().try_for_each(|m| write!(f, "{m}"))
    }
}

impl Render for InspectReport {}
