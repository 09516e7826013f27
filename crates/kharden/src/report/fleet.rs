//! The fleet report (`kharden fleet`): human text and the `kharden.fleet/1` JSON document;
//! the HTML page is html.rs.

use std::fmt::Write as _;

use crate::fleet::FleetReport;
use crate::term::{clean, thousands};

/// Pretty JSON with a final newline.
pub fn json(report: &FleetReport) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("fleet reports serialise");
    s.push('\n');
    s
}

/// Human text: the summary, the rules that fail somewhere (most hosts first), the hosts with
/// failures, drift, and the hosts that could not be read.
pub fn human(r: &FleetReport) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(
        out,
        "kharden fleet: {} host{}, profile {}: {} failing, {} clean{}",
        thousands(s.hosts),
        if s.hosts == 1 { "" } else { "s" },
        clean(&r.profile),
        thousands(s.failing),
        thousands(s.clean),
        if s.errors > 0 {
            format!(", {} unreadable", thousands(s.errors))
        } else {
            String::new()
        }
    );
    let mut failing: Vec<_> = r.rules.iter().filter(|c| c.fail + c.unknown > 0).collect();
    failing.sort_by_key(|c| std::cmp::Reverse((c.fail, c.unknown)));
    if !failing.is_empty() {
        let _ = writeln!(out, "\nrules (hosts: fail unknown waived pass n/a)");
        let width = failing
            .iter()
            .filter_map(|c| c.rule.as_ref().map(|k| k.id.len()))
            .max()
            .unwrap_or(0);
        for c in failing {
            let Some(k) = &c.rule else { continue };
            let _ = writeln!(
                out,
                "  {:<width$}  {:<8}  {:>6} {:>6} {:>6} {:>6} {:>6}",
                clean(&k.id),
                k.severity.as_str(),
                thousands(c.fail),
                thousands(c.unknown),
                thousands(c.waived),
                thousands(c.pass),
                thousands(c.not_applicable),
            );
        }
    }
    let with_failures: Vec<_> = r.hosts.iter().filter(|h| h.fail > 0).collect();
    if !with_failures.is_empty() {
        let _ = writeln!(out, "\nhosts with failures");
        for h in with_failures {
            let ids: Vec<String> = h
                .failures
                .iter()
                .map(|f| clean(&f.id).into_owned())
                .collect();
            let _ = writeln!(
                out,
                "  {}: {} fail: {}",
                clean(&h.name),
                h.fail,
                ids.join(", ")
            );
        }
    }
    let d = &r.drift;
    if !d.hosts.is_empty() {
        let _ = writeln!(out, "\ndrift from the fleet's majority");
        for (field, m) in [
            ("kernel_release", &d.kernel_release),
            ("lockdown", &d.lockdown),
            ("sig_enforce", &d.sig_enforce),
        ] {
            let Some(m) = m else { continue };
            let hosts: Vec<_> = d.hosts.iter().filter(|x| x.field == field).collect();
            if hosts.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "  {field}: majority {} ({} of {} hosts)",
                clean(&m.value),
                thousands(m.hosts),
                thousands(r.summary.hosts)
            );
            for x in hosts {
                let _ = writeln!(out, "    {}: {}", clean(&x.host), clean(&x.value));
            }
        }
    }
    if !r.errors.is_empty() {
        let _ = writeln!(out, "\nhosts that could not be read");
        for e in &r.errors {
            let _ = writeln!(out, "  {}: {}", clean(&e.name), clean(&e.problem));
        }
    }
    out
}
