//! Human output: grouped by area, one line per rule, evidence and remedies with `-v`.

use std::fmt;

use crate::audit::readiness::{Readiness, Verdict};
use crate::audit::{date_text, describe, Report};
use crate::policy::user::Date;
use crate::policy::Status;
use crate::term::clean;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub color: bool,
    /// Show passing and not-applicable findings too.
    pub all: bool,
    pub verbose: bool,
    /// The day `--today` set, said in the header (waivers were judged as of it).
    pub today_override: Option<Date>,
}

pub struct Paint(pub bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn status(&self, s: Status) -> String {
        let (label, code) = match s {
            Status::Pass => ("PASS", "32"),
            Status::Fail => ("FAIL", "1;31"),
            Status::Unknown => ("UNKN", "33"),
            Status::NotApplicable => ("N/A ", "2"),
        };
        self.wrap(code, label)
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
}

/// Blockers shown per finding; the JSON output lists all of them.
const BLOCKERS_SHOWN: usize = 10;

/// A readiness verdict under its finding (or an `apply` step), indented by `pad`.
pub fn write_readiness(
    out: &mut impl fmt::Write,
    p: &Paint,
    r: &Readiness,
    pad: &str,
) -> fmt::Result {
    let label = match r.verdict {
        Verdict::Ready => p.wrap("32", "ready"),
        Verdict::Blocked => p.wrap("1;31", "blocked"),
        Verdict::Unknown => p.wrap("33", "unknown"),
    };
    match r.verdict {
        Verdict::Blocked => writeln!(
            out,
            "{pad}readiness: {label}: {} thing(s) here would break",
            r.blockers.len()
        )?,
        _ => writeln!(out, "{pad}readiness: {label}")?,
    }
    for b in r.blockers.iter().take(BLOCKERS_SHOWN) {
        writeln!(out, "{pad}  - {} [{}]", clean(&b.thing), b.kind.as_str())?;
        writeln!(out, "{pad}    breaks: {}", clean(&b.consequence))?;
        writeln!(out, "{pad}    way out: {}", clean(&b.way_out))?;
    }
    if r.blockers.len() > BLOCKERS_SHOWN {
        writeln!(
            out,
            "{pad}  ... and {} more (--format json lists every one)",
            r.blockers.len() - BLOCKERS_SHOWN
        )?;
    }
    for u in &r.unknown {
        writeln!(out, "{pad}  not examined: {}", clean(u))?;
    }
    if !r.examined.is_empty() {
        writeln!(
            out,
            "{pad}  examined: {}",
            p.dim(&clean(&r.examined.join("; ")))
        )?;
    }
    Ok(())
}

/// Every string that comes from input (a snapshot's files, a config, a policy) goes through
/// [`clean`]: a terminal shows its escape sequences as text instead of obeying them.
pub fn render(report: &Report, opts: Options) -> String {
    Human { report, opts }.to_string()
}

/// The audit report as [`render`] shows it.
pub struct Human<'a> {
    pub report: &'a Report,
    pub opts: Options,
}

impl fmt::Display for Human<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Human { report, opts } = *self;
        let p = Paint(opts.color);
        let release = report.kernel.release.as_deref().map(clean);
        let arch = report.kernel.arch.as_deref().map(clean);
        let kernel = match (release, arch) {
            (Some(r), Some(a)) => format!("{r} ({a})"),
            (Some(r), None) => r.into_owned(),
            (None, Some(a)) => match report.kernel.version {
                Some((x, y, z)) => format!("Linux {x}.{y}.{z} config ({a})"),
                None => format!("unknown release ({a})"),
            },
            (None, None) => "unknown kernel".to_string(),
        };
        writeln!(
            out,
            "{} {kernel}, profile {}",
            p.bold("kharden audit:"),
            clean(&report.profile)
        )?;
        if let Some(d) = opts.today_override {
            writeln!(
                out,
                "  date: {} (set by --today, not the system clock)",
                date_text(d)
            )?;
        }
        for s in &report.sources {
            let detail = s
                .detail
                .as_deref()
                .map(|d| format!(": {}", clean(d)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<8} {} [{}]{}",
                s.kind.as_str(),
                clean(&s.origin),
                s.status.as_str(),
                p.dim(&detail)
            )?;
        }
        for w in &report.warnings {
            writeln!(out, "  {} {}", p.wrap("33", "warning:"), clean(w))?;
        }
        let mut area = "";
        for f in &report.findings {
            let shown = opts.all || matches!(f.status, Status::Fail | Status::Unknown);
            if !shown {
                continue;
            }
            if f.area != area {
                area = &f.area;
                writeln!(out, "\n{}", p.bold(&clean(area)))?;
            }
            writeln!(
                out,
                "  {} {:<8} {:<26} {}",
                p.status(f.status),
                f.severity.as_str(),
                clean(&f.id),
                clean(&f.title)
            )?;
            writeln!(out, "       {}", p.dim(&clean(&f.reason)))?;
            if let Some(w) = &f.waiver {
                let until = w
                    .expires
                    .as_deref()
                    .map(|d| format!(" (until {d})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "       {} {}{until}",
                    p.wrap("36", "waived:"),
                    clean(&w.reason)
                )?;
            }
            if let Some(r) = &f.readiness {
                write_readiness(out, &p, r, "       ")?;
            }
            if opts.verbose {
                for e in &f.evidence {
                    let mark = match e.ok {
                        Some(true) => "ok ",
                        Some(false) => "no ",
                        None => "?  ",
                    };
                    writeln!(
                        out,
                        "       {mark} [{}] {} (expected {})",
                        e.source.as_str(),
                        clean(&describe(e)),
                        clean(&e.expected)
                    )?;
                }
                if f.status != Status::Pass {
                    for r in f.remedy.iter() {
                        writeln!(out, "       fix [{}] {}", r.source.as_str(), clean(&r.text))?;
                    }
                }
            }
        }
        let s = &report.summary;
        let hidden = if opts.all {
            String::new()
        } else {
            " (use --all to list passing rules, -v for evidence and fixes, `kharden explain ID` for the why)".into()
        };
        let waived = if s.waived > 0 {
            format!(", {} waived", s.waived)
        } else {
            String::new()
        };
        writeln!(
            out,
            "\n{} {} fail, {} unknown, {} pass, {} not applicable{waived}{hidden}",
            p.bold("summary:"),
            if s.fail > 0 {
                p.wrap("1;31", &s.fail.to_string())
            } else {
                s.fail.to_string()
            },
            s.unknown,
            s.pass,
            s.not_applicable
        )
    }
}
