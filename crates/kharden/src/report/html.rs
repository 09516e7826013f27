//! One self-contained HTML page per audit and per fleet (`--format html`, docs/fleet.md): the
//! style and the few lines of script that sort tables are inline, there is no link, image, font
//! or script from elsewhere, and a Content-Security-Policy forbids the page every request
//! (`default-src 'none'`), so opening it never touches the network. Summary first, then
//! failures by severity with their evidence, fix and what the fix may break, then waivers
//! with their expiry; the fleet page adds per-rule and per-host tables (click a heading to
//! sort) and drift. It prints: the print style drops colours behind text and opens every
//! collapsed section. Deterministic: no time, unless the audit's `--with-host` gave one.

use std::fmt::Write as _;

use super::Audited;
use crate::audit::{describe, Finding};
use crate::fleet::FleetReport;
use crate::policy::{Severity, Status};

const STYLE: &str = r#"
:root { --fail: #b42318; --unknown: #a15c07; --pass: #067647; --waived: #475467; --line: #d0d5dd; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #101828; margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: #475467; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 24px; }
.fail b, .sev-critical, .sev-high { color: var(--fail); } .unknown b { color: var(--unknown); }
.pass b { color: var(--pass); } .waived b { color: var(--waived); }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--fail); border-radius: 6px; padding: 8px 12px; margin: 8px 0; break-inside: avoid; }
.finding.unknown { border-left-color: var(--unknown); } .finding.waived { border-left-color: var(--waived); }
.finding h3 { font-size: 15px; margin: 0; } .finding h3 code { font-weight: normal; }
.badge { display: inline-block; font-size: 12px; border: 1px solid currentColor; border-radius: 4px; padding: 0 5px; margin-right: 6px; text-transform: uppercase; }
.sev-medium { color: var(--unknown); } .sev-low { color: #475467; }
ul { margin: 4px 0 4px 20px; padding: 0; } .label { color: #475467; font-size: 13px; }
code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; background: #f2f4f7; padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f2f4f7; cursor: pointer; user-select: none; } th.num, td.num { text-align: right; }
th[aria-sort=ascending]::after { content: " \25B2"; } th[aria-sort=descending]::after { content: " \25BC"; }
td.bad { color: var(--fail); font-weight: 600; }
@media print { body { padding: 0; max-width: none; } details { display: block; } details > * { display: block; } th { cursor: auto; } .finding { border-left-width: 3px; } }
"#;

/// Sorts a table by the clicked heading: numbers by value (`data-v` when present), text as
/// text; a second click reverses.
const SORT_SCRIPT: &str = r#"
document.querySelectorAll("table.sortable th").forEach(function (th) {
  th.addEventListener("click", function () {
    var col = th.cellIndex, table = th.closest("table"), body = table.tBodies[0];
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var num = th.classList.contains("num");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var c = num ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"#;

/// Text for HTML content and attribute values.
fn esc(text: &str) -> String {
    super::junit::xml(text)
}

fn page(title: &str, body: &str, script: bool) -> String {
    let mut out = String::with_capacity(body.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = write!(
        out,
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(title)
    );
    out.push_str(body);
    if script {
        let _ = writeln!(out, "<script>{SORT_SCRIPT}</script>");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn card(out: &mut String, class: &str, n: usize, label: &str) {
    let _ = write!(out, "<div class=\"card {class}\"><b>{n}</b>{label}</div>");
}

fn severity_badge(s: Severity) -> String {
    format!("<span class=\"badge sev-{0}\">{0}</span>", s.as_str())
}

/// The audit of one host.
pub fn audit(a: &Audited<'_>) -> String {
    let r = a.report;
    let release = r.kernel.release.as_deref().unwrap_or("unknown kernel");
    let arch = r.kernel.arch.as_deref().unwrap_or("unknown architecture");
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1>kharden audit: {} ({})</h1>",
        esc(release),
        esc(arch)
    );
    let mut sub = format!("profile {}", esc(&r.profile));
    if let Some(h) = a.host {
        let _ = write!(
            sub,
            "; host {}, boot {}, {}; kharden {}",
            esc(h.hostname.as_deref().unwrap_or("unknown")),
            esc(h.boot_id.as_deref().unwrap_or("unknown")),
            esc(&h.time),
            esc(h.kharden_version)
        );
    }
    let _ = writeln!(b, "<p class=\"sub\">{sub}</p>");

    b.push_str("<h2>Summary</h2>\n<div class=\"cards\">");
    let s = &r.summary;
    card(&mut b, "fail", s.fail, "failing");
    card(&mut b, "unknown", s.unknown, "unknown");
    card(&mut b, "pass", s.pass, "passing");
    card(&mut b, "waived", s.waived, "waived");
    card(&mut b, "", s.not_applicable, "not applicable");
    b.push_str("</div>\n");
    let state = crate::audit::state::HostState::of(a.facts);
    let word = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    let _ = writeln!(
        b,
        "<p>Lockdown: <b>{}</b>. Module signature enforcement: <b>{}</b>. Kernel taint: <b>{}</b>. Unsigned module loaded: <b>{}</b>.</p>",
        state.lockdown.map_or("unknown", |l| l.as_str()),
        match state.sig_enforce {
            Some(true) => "on",
            Some(false) => "off",
            None => "unknown",
        },
        state.tainted.map_or("unknown".to_string(), |t| t.to_string()),
        word(state.unsigned_module_loaded())
    );

    let failing: Vec<&Finding> = by_severity(
        r.findings
            .iter()
            .filter(|f| f.waiver.is_none() && f.status == Status::Fail),
    );
    let _ = writeln!(b, "<h2>Failures ({})</h2>", failing.len());
    if failing.is_empty() {
        b.push_str("<p>No rule fails.</p>\n");
    }
    for f in failing {
        finding(&mut b, a, f, "fail");
    }
    let unknown: Vec<&Finding> = by_severity(
        r.findings
            .iter()
            .filter(|f| f.waiver.is_none() && f.status == Status::Unknown),
    );
    if !unknown.is_empty() {
        let _ = writeln!(b, "<h2>Could not be judged ({})</h2>", unknown.len());
        for f in unknown {
            finding(&mut b, a, f, "unknown");
        }
    }
    let waived: Vec<&Finding> = r.findings.iter().filter(|f| f.waiver.is_some()).collect();
    let _ = writeln!(b, "<h2>Waivers ({})</h2>", waived.len());
    if waived.is_empty() {
        b.push_str("<p>No finding is waived.</p>\n");
    } else {
        b.push_str("<table><thead><tr><th>rule</th><th>status</th><th>expires</th><th>reason</th></tr></thead><tbody>\n");
        for f in waived {
            let w = f.waiver.as_ref().expect("waived");
            let _ = writeln!(
                b,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.id),
                f.status.as_str(),
                esc(w.expires.as_deref().unwrap_or("never")),
                esc(&w.reason)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    let rest: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.waiver.is_none() && matches!(f.status, Status::Pass | Status::NotApplicable))
        .collect();
    let _ = writeln!(
        b,
        "<h2>Passing and not applicable ({})</h2>\n<details><summary>show</summary><table><tbody>",
        rest.len()
    );
    for f in rest {
        let _ = writeln!(
            b,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.id),
            f.status.as_str(),
            esc(&f.title),
            esc(&f.reason)
        );
    }
    b.push_str("</tbody></table></details>\n");
    if !r.warnings.is_empty() {
        b.push_str("<h2>Warnings</h2>\n<ul>");
        for w in &r.warnings {
            let _ = write!(b, "<li>{}</li>", esc(w));
        }
        b.push_str("</ul>\n");
    }
    page(&format!("kharden audit: {release}"), &b, false)
}

fn by_severity<'a>(it: impl Iterator<Item = &'a Finding>) -> Vec<&'a Finding> {
    let mut v: Vec<&Finding> = it.collect();
    v.sort_by(|x, y| y.severity.cmp(&x.severity).then(x.id.cmp(&y.id)));
    v
}

fn finding(b: &mut String, a: &Audited<'_>, f: &Finding, class: &str) {
    let _ = writeln!(
        b,
        "<div class=\"finding {class}\" id=\"rule-{}\"><h3>{}{} <code>{}</code></h3>",
        esc(&f.id),
        severity_badge(f.severity),
        esc(&f.title),
        esc(&f.id)
    );
    let _ = writeln!(b, "<p>{}</p>", esc(&f.reason));
    if !f.evidence.is_empty() {
        b.push_str("<div class=\"label\">evidence</div><ul>");
        for e in &f.evidence {
            let mark = match e.ok {
                Some(true) => "ok",
                Some(false) => "not met",
                None => "unknown",
            };
            let _ = write!(
                b,
                "<li>{} <span class=\"label\">({mark})</span></li>",
                esc(&describe(e))
            );
        }
        b.push_str("</ul>\n");
    }
    if !f.remedy.is_empty() {
        b.push_str("<div class=\"label\">fix</div><ul>");
        for r in f.remedy.iter() {
            let _ = write!(
                b,
                "<li>{}: <code>{}</code></li>",
                r.source.as_str(),
                esc(&r.text)
            );
        }
        b.push_str("</ul>\n");
    }
    if let Some(rule) = a.profile.rule(&f.id) {
        let _ = writeln!(
            b,
            "<div class=\"label\">what the fix may break</div><p>{}</p>",
            esc(rule.breaks.trim())
        );
    }
    b.push_str("</div>\n");
}

/// The fleet report.
pub fn fleet(r: &FleetReport) -> String {
    let mut b = String::new();
    let s = &r.summary;
    let _ = writeln!(b, "<h1>kharden fleet: {} hosts</h1>", s.hosts);
    let _ = writeln!(b, "<p class=\"sub\">profile {}</p>", esc(&r.profile));
    b.push_str("<h2>Summary</h2>\n<div class=\"cards\">");
    card(&mut b, "fail", s.failing, "hosts failing");
    card(&mut b, "pass", s.clean, "hosts clean");
    card(&mut b, "unknown", r.drift.hosts.len(), "drifted values");
    card(&mut b, "waived", s.errors, "unreadable");
    b.push_str("</div>\n");

    b.push_str("<h2>Drift from the fleet's majority</h2>\n");
    if r.drift.hosts.is_empty() {
        b.push_str("<p>Every host has the majority's kernel release, lockdown level and enforcement.</p>\n");
    } else {
        b.push_str("<table class=\"sortable\"><thead><tr><th>host</th><th>value</th><th>this host</th><th>majority</th></tr></thead><tbody>\n");
        for d in &r.drift.hosts {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td class=\"bad\">{}</td><td>{}</td></tr>",
                esc(&d.host),
                d.field,
                esc(&d.value),
                esc(&d.majority)
            );
        }
        b.push_str("</tbody></table>\n");
    }

    b.push_str("<h2>Rules</h2>\n<table class=\"sortable\"><thead><tr><th>rule</th><th>severity</th><th>area</th><th class=\"num\">fail</th><th class=\"num\">unknown</th><th class=\"num\">waived</th><th class=\"num\">pass</th><th class=\"num\">n/a</th><th>title</th></tr></thead><tbody>\n");
    for c in &r.rules {
        let Some(k) = &c.rule else { continue };
        let _ = writeln!(
            b,
            "<tr><td><code>{}</code></td><td class=\"sev-{sev}\">{sev}</td><td>{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&k.id),
            esc(&k.area),
            if c.fail > 0 { " bad" } else { "" },
            c.fail,
            c.unknown,
            c.waived,
            c.pass,
            c.not_applicable,
            esc(&k.title),
            sev = k.severity.as_str(),
        );
    }
    b.push_str("</tbody></table>\n");

    b.push_str("<h2>Hosts</h2>\n<table class=\"sortable\"><thead><tr><th>host</th><th>kernel</th><th>lockdown</th><th>enforcement</th><th class=\"num\">fail</th><th class=\"num\">unknown</th><th class=\"num\">waived</th><th>failing rules</th></tr></thead><tbody>\n");
    for h in &r.hosts {
        let ids: Vec<String> = h.failures.iter().map(|f| esc(&f.id)).collect();
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&h.name),
            esc(h.kernel_release.as_deref().unwrap_or("unknown")),
            h.lockdown.unwrap_or("unknown"),
            match h.sig_enforce {
                Some(true) => "on",
                Some(false) => "off",
                None => "unknown",
            },
            if h.fail > 0 { " bad" } else { "" },
            h.fail,
            h.unknown,
            h.waived,
            ids.join(", ")
        );
    }
    b.push_str("</tbody></table>\n");
    if !r.errors.is_empty() {
        b.push_str("<h2>Snapshots that could not be read</h2>\n<ul>");
        for e in &r.errors {
            let _ = write!(b, "<li>{}: {}</li>", esc(&e.name), esc(&e.problem));
        }
        b.push_str("</ul>\n");
    }
    page("kharden fleet", &b, true)
}
