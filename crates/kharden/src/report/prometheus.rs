//! A node_exporter textfile (Prometheus text exposition format 0.0.4) of one audit; the metrics
//! are documented in docs/exports.md.
//!
//! What node_exporter's textfile collector and the Prometheus conventions ask, and what this
//! writer therefore guarantees itself (promtool does not check all of it): every family once,
//! HELP and TYPE first, each series once, no client timestamps (node_exporter drops the whole
//! file), label values escaped, base units (seconds), gauges only (a report is a state, not a
//! count since start), the last line ends with a newline. Labels hold only bounded values (rule
//! ids, areas, severities, statuses, the profile, the kernel release); host identity belongs to
//! the scrape's target labels, so it appears only in `kharden_host_info` with `--with-host`.
//!
//! Without `--with-host` the output is a function of the inputs alone: the audit's time is the
//! file's mtime, which node_exporter exports as `node_textfile_mtime_seconds` (the rename that
//! publishes the file sets it), so staleness alerts need no timestamp in the file.

use std::fmt::Write as _;

use super::Audited;
use crate::audit::state::HostState;
use crate::probe::Lockdown;

/// The statuses of `kharden_rules`, always all of them (so that `sum()` and absence behave).
pub const STATUSES: [&str; 5] = ["pass", "fail", "unknown", "not_applicable", "waived"];

/// The textfile.
pub fn render(a: &Audited<'_>) -> String {
    let mut out = String::with_capacity(256 + 160 * a.report.findings.len());
    let r = a.report;

    family(
        &mut out,
        "kharden_audit_info",
        "The last kharden audit of this host: profile, kernel release and architecture (value 1).",
    );
    sample(
        &mut out,
        "kharden_audit_info",
        &[
            ("profile", &r.profile),
            ("kernel_release", r.kernel.release.as_deref().unwrap_or("")),
            ("arch", r.kernel.arch.as_deref().unwrap_or("")),
        ],
        1.0,
    );

    family(
        &mut out,
        "kharden_rule_status",
        "Status of each rule in the last kharden audit (value 1): status is pass, fail, unknown, not_applicable or waived.",
    );
    for f in &r.findings {
        sample(
            &mut out,
            "kharden_rule_status",
            &[
                ("rule", &f.id),
                ("area", &f.area),
                ("severity", f.severity.as_str()),
                ("status", Audited::status_of(f)),
            ],
            1.0,
        );
    }

    family(
        &mut out,
        "kharden_rules",
        "Number of rules per status in the last kharden audit.",
    );
    let s = &r.summary;
    for (status, n) in STATUSES
        .iter()
        .zip([s.pass, s.fail, s.unknown, s.not_applicable, s.waived])
    {
        sample(&mut out, "kharden_rules", &[("status", status)], n as f64);
    }

    let state = HostState::of(a.facts);
    let gauges: [(&str, &str, Option<f64>); 4] = [
        (
            "kharden_lockdown_level",
            "Kernel lockdown level: 0 none, 1 integrity, 2 confidentiality (NaN when unknown).",
            state.lockdown.map(|l| match l {
                Lockdown::None => 0.0,
                Lockdown::Integrity => 1.0,
                Lockdown::Confidentiality => 2.0,
            }),
        ),
        (
            "kharden_module_sig_enforced",
            "1 when the kernel refuses unsigned modules (module signature enforcement), 0 when not, NaN when unknown.",
            state.sig_enforce.map(f64::from),
        ),
        (
            "kharden_kernel_tainted",
            "The kernel's taint mask, /proc/sys/kernel/tainted (NaN when unknown).",
            state.tainted.map(|t| t as f64),
        ),
        (
            "kharden_unsigned_module_loaded",
            "1 when an unsigned module was loaded since boot (taint flag E), 0 when not, NaN when unknown.",
            state.unsigned_module_loaded().map(f64::from),
        ),
    ];
    for (name, help, value) in gauges {
        family(&mut out, name, help);
        sample(&mut out, name, &[], value.unwrap_or(f64::NAN));
    }

    if let Some(day) = earliest_waiver_expiry(a) {
        let name = "kharden_waiver_expiry_timestamp_seconds";
        family(
            &mut out,
            name,
            "Unix time at which the earliest active waiver stops applying (00:00 UTC the day after its expiry date); absent without a dated waiver.",
        );
        let secs = (crate::policy::user::days_from_civil(day) + 1) * 86_400;
        sample(&mut out, name, &[], secs as f64);
    }

    if let Some(h) = a.host {
        family(
            &mut out,
            "kharden_audit_timestamp_seconds",
            "Unix time of the last kharden audit (written with --with-host).",
        );
        sample(
            &mut out,
            "kharden_audit_timestamp_seconds",
            &[],
            h.unix_time as f64,
        );
        family(
            &mut out,
            "kharden_host_info",
            "The audited host and the kharden that audited it (value 1; written with --with-host).",
        );
        sample(
            &mut out,
            "kharden_host_info",
            &[
                ("hostname", h.hostname.as_deref().unwrap_or("")),
                ("boot_id", h.boot_id.as_deref().unwrap_or("")),
                ("version", h.kharden_version),
            ],
            1.0,
        );
    }
    out
}

/// The earliest expiry date of a waiver that waives a finding of this report.
fn earliest_waiver_expiry(a: &Audited<'_>) -> Option<crate::policy::user::Date> {
    a.profile
        .waivers
        .iter()
        .filter(|w| {
            a.report
                .findings
                .iter()
                .any(|f| f.id == w.rule && f.waiver.is_some())
        })
        .filter_map(|w| w.expires)
        .min()
}

fn family(out: &mut String, name: &str, help: &str) {
    // HELP text escapes backslash and newline only.
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"");
            escape_label(out, v);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    push_value(out, value);
    out.push('\n');
}

/// A label value: backslash, double quote and newline escaped (the format's three escapes).
fn escape_label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Go's ParseFloat spellings: integers plainly, `NaN`.
fn push_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_values() {
        let mut out = String::new();
        sample(&mut out, "m", &[("a", "x\\y\"z\nw"), ("b", "ok")], f64::NAN);
        assert_eq!(out, "m{a=\"x\\\\y\\\"z\\nw\",b=\"ok\"} NaN\n");
        let mut out = String::new();
        push_value(&mut out, 1_796_524_632.0);
        push_value(&mut out, 0.5);
        assert_eq!(out, "17965246320.5");
    }
}
