//! SARIF 2.1.0 for code scanning (docs/exports.md): one reporting descriptor per rule of the
//! profile, with its help text; one result per failing, unknown or waived finding (waived ones
//! carry a suppression), located at the line of the kernel config that decides it, or at the
//! runtime path it was read from. Passing and not-applicable rules have no result.
//!
//! Locations: a file the user named (`--config .config`) keeps the name as given (relative to
//! `%SRCROOT%` when relative: what GitHub maps to a repository file); a file of an audited root
//! is its path in the root, relative to the base id `ROOT`, which is `file:///` for the host and
//! left unresolved for a snapshot tree (so the output does not depend on where the tree is).
//!
//! `partialFingerprints."kharden/v1"` is a hash of the rule id and the location's URI, without
//! the line: the same finding keeps its fingerprint when the config is edited around it.

use serde_json::{json, Map, Value};

use super::Audited;
use crate::audit::{Evidence, Finding};
use crate::policy::{Rule, Severity, Status};
use crate::probe::{FileRef, SourceKind};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Longest text GitHub keeps in a short or full description.
const DESCRIPTION_MAX: usize = 1024;

/// The SARIF log, pretty JSON with a final newline.
pub fn render(a: &Audited<'_>) -> String {
    let mut rules: Vec<&Rule> = a.profile.rules.iter().collect();
    rules.sort_by(|x, y| x.id.cmp(&y.id));
    let mut descriptors: Vec<Value> = rules.iter().map(|r| descriptor(r)).collect();
    // An expired waiver is a finding of its own rule id; it gets a descriptor too.
    let mut extra: Vec<&Finding> = a
        .report
        .findings
        .iter()
        .filter(|f| {
            rules
                .binary_search_by(|r| r.id.as_ref().cmp(&*f.id))
                .is_err()
        })
        .collect();
    extra.sort_by(|x, y| x.id.cmp(&y.id));
    descriptors.extend(extra.iter().map(|f| expired_descriptor(f)));
    let index_of = |id: &str| {
        rules.iter().position(|r| &*r.id == id).or_else(|| {
            extra
                .iter()
                .position(|f| &*f.id == id)
                .map(|i| rules.len() + i)
        })
    };

    let results: Vec<Value> = a
        .report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
        .map(|f| result(a, f, index_of(&f.id)))
        .collect();

    let mut run = json!({
        "tool": {
            "driver": {
                "name": "kharden",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": descriptors,
            }
        },
        "automationDetails": { "id": format!("kharden/{}/", a.report.profile) },
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if a.facts.files.root_is_host {
        run["originalUriBaseIds"] = json!({ "ROOT": { "uri": "file:///" } });
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    });
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (a string, 0.1-10): critical >= 9, high 7-8.9, medium 4-6.9.
fn security_severity(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn clip(text: &str) -> String {
    if text.len() <= DESCRIPTION_MAX {
        return text.to_string();
    }
    let mut end = DESCRIPTION_MAX - 3;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

fn descriptor(r: &Rule) -> Value {
    let mut help = format!(
        "{}\n\nWhat it may break: {}\n",
        r.rationale.trim(),
        r.breaks.trim()
    );
    let mut md = format!(
        "{}\n\n**What it may break:** {}\n",
        r.rationale.trim(),
        r.breaks.trim()
    );
    if !r.remedy.is_empty() {
        help.push_str("\nFix:\n");
        md.push_str("\n**Fix:**\n\n");
        for rem in r.remedy.iter() {
            help.push_str(&format!("- {}: {}\n", rem.source.as_str(), rem.text));
            md.push_str(&format!("- {}: `{}`\n", rem.source.as_str(), rem.text));
        }
    }
    if !r.references.is_empty() {
        help.push_str("\nReferences:\n");
        md.push_str("\n**References:**\n\n");
        for reference in r.references.iter() {
            help.push_str(&format!("- {reference}\n"));
            md.push_str(&format!("- {reference}\n"));
        }
    }
    json!({
        "id": &*r.id,
        "name": &*r.id,
        "shortDescription": { "text": clip(&r.title) },
        "fullDescription": { "text": clip(r.rationale.trim()) },
        "help": { "text": help, "markdown": md },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "tags": ["security", "kernel", &*r.area],
            "precision": "very-high",
            "security-severity": security_severity(r.severity),
        },
    })
}

fn expired_descriptor(f: &Finding) -> Value {
    json!({
        "id": &*f.id,
        "name": &*f.id,
        "shortDescription": { "text": clip(&f.title) },
        "fullDescription": { "text": "A waiver in the policy has passed its expiry date." },
        "help": { "text": "Renew or remove the waiver, or fix the rule it waived." },
        "defaultConfiguration": { "level": level(f.severity) },
        "properties": {
            "tags": ["security", "kernel", &*f.area],
            "precision": "very-high",
            "security-severity": security_severity(f.severity),
        },
    })
}

fn result(a: &Audited<'_>, f: &Finding, index: Option<usize>) -> Value {
    let unknown = f.status == Status::Unknown;
    let mut message = format!("{}: {}", f.title, f.reason);
    if unknown {
        message = format!("{} could not be judged: {}", f.title, f.reason);
    }
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(&*f.id));
    if let Some(i) = index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert(
        "kind".into(),
        json!(if unknown { "review" } else { "fail" }),
    );
    r.insert(
        "level".into(),
        json!(if unknown { "none" } else { level(f.severity) }),
    );
    let location = locate(a, f);
    if let Some((uri, base, line, note)) = &location {
        if let Some(note) = note {
            message.push_str(&format!(" ({note})"));
        }
        let mut artifact = Map::new();
        artifact.insert("uri".into(), json!(uri));
        if let Some(base) = base {
            artifact.insert("uriBaseId".into(), json!(base));
        }
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), Value::Object(artifact));
        if let Some(line) = line {
            physical.insert("region".into(), json!({ "startLine": line }));
        }
        r.insert(
            "locations".into(),
            json!([{ "physicalLocation": Value::Object(physical) }]),
        );
    }
    r.insert("message".into(), json!({ "text": message }));
    let uri = location.as_ref().map_or("", |l| l.0.as_str());
    r.insert(
        "partialFingerprints".into(),
        json!({ "kharden/v1": fingerprint(&f.id, uri) }),
    );
    if let Some(w) = &f.waiver {
        let justification = match &w.expires {
            Some(d) => format!("{} (waived until {d})", w.reason),
            None => w.reason.clone(),
        };
        r.insert(
            "suppressions".into(),
            json!([{ "kind": "external", "justification": justification }]),
        );
    }
    Value::Object(r)
}

/// Where a finding points: the first piece of evidence that does not hold, placed in the file
/// it was read from. `(uri, uriBaseId, line, note for the message)`.
type Location = (String, Option<&'static str>, Option<usize>, Option<String>);

fn locate(a: &Audited<'_>, f: &Finding) -> Option<Location> {
    let e: &Evidence = f
        .evidence
        .iter()
        .find(|e| e.ok != Some(true))
        .or(f.evidence.first())?;
    let files = &a.facts.files;
    let in_file = |file: &FileRef| -> (String, Option<&'static str>) {
        match file {
            FileRef::Named(p) if p.starts_with('/') => (format!("file://{}", encode(p)), None),
            FileRef::Named(p) => (encode(p.strip_prefix("./").unwrap_or(p)), Some("%SRCROOT%")),
            FileRef::InRoot(p) => (encode(p.trim_start_matches('/')), Some("ROOT")),
        }
    };
    match e.source {
        SourceKind::Kconfig => {
            let file = files.kconfig.as_ref()?;
            let (uri, base) = in_file(file);
            let line = a.facts.kconfig().and_then(|c| c.line_of(&e.key));
            // GitHub shows a result only with a line: a missing option points at line 1.
            let note = line
                .is_none()
                .then(|| format!("the config has no CONFIG_{} line", e.key));
            Some((uri, base, Some(line.unwrap_or(1)), note))
        }
        SourceKind::Cmdline => {
            let (uri, base) = in_file(files.cmdline.as_ref()?);
            Some((uri, base, None, None))
        }
        SourceKind::Sysctl => match &files.sysctl {
            Some(file) => {
                let (uri, base) = in_file(file);
                Some((uri, base, None, None))
            }
            None if a.facts.live => {
                let path = crate::probe::sysctl::proc_path(&e.key);
                Some((
                    encode(path.trim_start_matches('/')),
                    Some("ROOT"),
                    None,
                    None,
                ))
            }
            None => None,
        },
        SourceKind::Runtime if e.key.starts_with('/') && a.facts.live => Some((
            encode(e.key.trim_start_matches('/')),
            Some("ROOT"),
            None,
            None,
        )),
        SourceKind::Runtime => None,
    }
}

/// A relative or absolute path as a URI reference: unreserved characters and `/` kept, every
/// other byte percent-encoded.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a (64 bits) of the rule id and the URI, in hex: stable across versions and runs.
fn fingerprint(id: &str, uri: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes().chain([0]).chain(uri.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_fingerprints() {
        assert_eq!(encode("boot/config-6.1 x#?"), "boot/config-6.1%20x%23%3F");
        assert_eq!(fingerprint("a", "b"), fingerprint("a", "b"));
        assert_ne!(fingerprint("a", "b"), fingerprint("ab", ""));
        assert_eq!(clip(&"é".repeat(1000)).len(), 1023);
    }
}
