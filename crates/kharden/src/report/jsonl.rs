//! JSON lines for log shippers: one finding per line, each line a whole JSON object with the
//! report's context (schema, profile, kernel) so that a line makes sense alone. With
//! `--with-host` each line also carries `host` (hostname, boot id, time, kharden version);
//! without it the output is a function of the inputs alone. Contract: docs/json-output.md.

use serde::Serialize;

use super::Audited;
use crate::audit::Finding;
use crate::probe::host::HostInfo;
use crate::probe::KernelInfo;

pub const SCHEMA: &str = "kharden.finding/1";

/// One line: a `kharden.finding/1` document.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Line<'a> {
    schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a HostInfo>,
    profile: &'a str,
    kernel: &'a KernelInfo,
    #[serde(flatten)]
    finding: &'a Finding,
}

pub fn render(a: &Audited<'_>) -> String {
    let mut out = String::with_capacity(600 * a.report.findings.len());
    for finding in &a.report.findings {
        let line = Line {
            schema: SCHEMA,
            host: a.host,
            profile: &a.report.profile,
            kernel: &a.report.kernel,
            finding,
        };
        out.push_str(&serde_json::to_string(&line).expect("findings serialise"));
        out.push('\n');
    }
    out
}
