//! The `kharden.audit/1` JSON document (docs/json-schema.md describes it).

use crate::audit::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}
