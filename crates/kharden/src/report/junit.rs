//! JUnit XML (the Ant/Surefire shape CI systems display; checked against the schema Jenkins'
//! xunit plugin publishes, junit-10.xsd): one test suite per audit, one test case per rule.
//! A failing rule is a `<failure>`, an unknown one an `<error>` (it could not be judged), a
//! waived or not-applicable one `<skipped>` with the reason; a passing one is an empty test case.
//! Deterministic: no timestamp, no hostname, times are 0.

use std::fmt::Write as _;

use super::Audited;
use crate::audit::{describe, Finding};
use crate::policy::Status;

pub fn render(a: &Audited<'_>) -> String {
    let r = a.report;
    let count = |want: &dyn Fn(&Finding) -> bool| r.findings.iter().filter(|f| want(f)).count();
    let tests = r.findings.len();
    let failures = count(&|f| f.waiver.is_none() && f.status == Status::Fail);
    let errors = count(&|f| f.waiver.is_none() && f.status == Status::Unknown);
    let skipped = count(&|f| f.waiver.is_some() || f.status == Status::NotApplicable);
    let suite = format!(
        "kharden audit {} ({})",
        r.profile,
        r.kernel.release.as_deref().unwrap_or("unknown kernel")
    );
    let mut out = String::with_capacity(512 + 400 * tests);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"kharden\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">",
        xml(&suite)
    );
    out.push_str("    <properties>\n");
    let mut props = vec![("profile", r.profile.clone())];
    if let Some(rel) = &r.kernel.release {
        props.push(("kernel_release", rel.clone()));
    }
    if let Some(arch) = &r.kernel.arch {
        props.push(("arch", arch.clone()));
    }
    for (k, v) in props {
        let _ = writeln!(out, "      <property name=\"{k}\" value=\"{}\"/>", xml(&v));
    }
    out.push_str("    </properties>\n");
    for f in &r.findings {
        let head = format!(
            "    <testcase name=\"{}\" classname=\"kharden.{}\" time=\"0\"",
            xml(&f.id),
            xml(&f.area)
        );
        let details = details(f);
        match (&f.waiver, f.status) {
            (Some(w), _) => {
                let until = w
                    .expires
                    .as_deref()
                    .map_or(String::new(), |d| format!(" until {d}"));
                let _ = writeln!(
                    out,
                    "{head}>\n      <skipped message=\"waived{}: {}\"/>\n    </testcase>",
                    xml(&until),
                    xml(&w.reason)
                );
            }
            (None, Status::Pass) => {
                let _ = writeln!(out, "{head}/>");
            }
            (None, Status::NotApplicable) => {
                let _ = writeln!(
                    out,
                    "{head}>\n      <skipped message=\"not applicable: {}\"/>\n    </testcase>",
                    xml(&f.reason)
                );
            }
            (None, Status::Fail) => {
                let _ = writeln!(
                    out,
                    "{head}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    xml(&f.title),
                    f.severity.as_str(),
                    xml(&details)
                );
            }
            (None, Status::Unknown) => {
                let _ = writeln!(
                    out,
                    "{head}>\n      <error message=\"could not be judged: {}\" type=\"unknown\">{}</error>\n    </testcase>",
                    xml(&f.title),
                    xml(&details)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// The body of a failure: reason, evidence, fixes.
fn details(f: &Finding) -> String {
    let mut s = format!(
        "{} ({} severity)\n{}\n",
        f.title,
        f.severity.as_str(),
        f.reason
    );
    for e in &f.evidence {
        let _ = writeln!(s, "evidence: {}", describe(e));
    }
    for r in f.remedy.iter() {
        let _ = writeln!(s, "fix ({}): {}", r.source.as_str(), r.text);
    }
    s
}

/// Text for an XML attribute or element: the five entities escaped; characters XML 1.0 cannot
/// hold (controls other than tab and newline) replaced by U+FFFD.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_xml_cannot_hold() {
        assert_eq!(
            xml("a<b>&\"c'\u{1b}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}\n"
        );
    }
}
