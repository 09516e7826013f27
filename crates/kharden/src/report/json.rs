//! The `kharden.audit/1` JSON document (docs/json-schema.md describes it).

use crate::audit::Report;

/// Write the document to `out` as it is serialised (no intermediate string: the full profile's
/// report is ~300 KB, and building it first costs more than writing it).
pub fn write(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
