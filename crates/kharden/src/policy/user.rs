//! User policies: a TOML file that shapes a built-in profile without forking it. It may pick
//! the profile it extends, drop rules, change severities, add rules of the built-in kinds and
//! waive rules (with a reason and an optional expiry date). Every problem is reported at once,
//! each with file:line:column; unknown keys are errors.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::compile;
use super::diag::{self, Code, LazyLines};
use super::load::{self, Inner, Nest, Shape};
use super::{PolicyError, Profile, RuleDef, Severity};

/// A calendar date (year, month, day), as written in `expires = 2027-01-31`.
pub type Date = (i32, u32, u32);

/// A waiver of one rule, as given in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub rule: String,
    pub reason: String,
    pub expires: Option<Date>,
    /// `file:line:column` of the `[[waiver]]`, for messages.
    pub at: String,
}

/// A rule a policy file dropped from the profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dropped {
    pub rule: String,
    /// `file:line:column` of the id in `drop = [...]`.
    pub at: String,
}

/// The keys of a policy file. Its fields are read one key (and one rule, one waiver) at a time
/// with [`load::Doc`], so that a bad value hides no other problem; the struct is the list of
/// keys the loader checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PolicyFile {
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    drop: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    rule: Vec<RuleDef>,
    #[serde(default)]
    waiver: Vec<WaiverDef>,
}

impl Nest for PolicyFile {
    fn inner(key: &str) -> Option<Inner> {
        match key {
            "severity" => Some(Inner::FreeKeys),
            "rule" => Some(Inner::Tables(Shape::of::<RuleDef>())),
            "waiver" => Some(Inner::Tables(Shape::of::<WaiverDef>())),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverDef {
    rule: Spanned<String>,
    reason: String,
    #[serde(default)]
    expires: Option<Spanned<toml::value::Datetime>>,
}

impl Nest for WaiverDef {}

/// The profile a policy file names with `extends`, if any (read before the base is loaded).
pub fn extends(text: &str) -> Option<String> {
    let table = DeTable::parse(text).ok()?;
    match table.get_ref().get("extends").map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// `low, medium, high or critical`.
fn severities() -> String {
    use strum::VariantNames;
    match Severity::VARIANTS.split_last() {
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Apply a policy file to `profile`. `name` is used in messages (the path as given). Every
/// problem of the file is reported, in file order.
pub fn apply(name: &str, text: &str, profile: &mut Profile) -> Result<(), PolicyError> {
    // One table of line starts for every location.
    let lines = LazyLines::new(text);
    let mut doc = load::parse(name, text, &lines, Shape::of::<PolicyFile>());
    let at = |doc: &load::Doc<'_>, start: usize| {
        let (l, c) = doc.line_col(start);
        format!("{name}:{l}:{c}")
    };
    if let Some(ext) = doc.take::<Spanned<String>>("extends") {
        if ext.get_ref() != &profile.name {
            doc.problem(
                Some(ext.span().start),
                Code::ExtendsMismatch,
                format!(
                    "extends {:?}, but profile {:?} was loaded",
                    ext.get_ref(),
                    profile.name
                ),
            );
        }
    }
    // Rules first, so drop/severity/waiver may name the policy's own rules too.
    let defs = doc.take_items::<RuleDef>("rule");
    let starts: Vec<usize> = defs.iter().map(|(start, _)| *start).collect();
    let rules = compile::rules(&mut doc, defs);
    // Lookups by id go through a set or an index, not a scan of the profile per entry: a
    // policy may list a great many.
    let mut ids: HashSet<String> = profile.rules.iter().map(|r| r.id.to_string()).collect();
    for (r, start) in rules.into_iter().zip(starts) {
        if ids.insert(r.id.to_string()) {
            profile.rules.to_mut().push(r);
        } else {
            doc.problem(
                Some(start),
                Code::DuplicateRule,
                format!(
                    "rule {:?} already exists in profile {} (drop it first to replace it)",
                    r.id, profile.name
                ),
            );
        }
    }
    let drops: Vec<Spanned<String>> = doc.take("drop").unwrap_or_default();
    let mut dropped = HashSet::new();
    for d in &drops {
        if ids.remove(d.get_ref().as_str()) {
            dropped.insert(d.get_ref().as_str());
            profile.dropped.push(Dropped {
                rule: d.get_ref().clone(),
                at: at(&doc, d.span().start),
            });
        } else {
            doc.problem(
                Some(d.span().start),
                Code::UnknownRule,
                format!(
                    "drop: no rule {:?} in profile {}",
                    d.get_ref(),
                    profile.name
                ),
            );
        }
    }
    if !dropped.is_empty() {
        profile
            .rules
            .to_mut()
            .retain(|r| !dropped.contains(r.id.as_ref()));
    }
    let severity: BTreeMap<String, Spanned<String>> = doc.take("severity").unwrap_or_default();
    let index: HashMap<String, usize> = if severity.is_empty() {
        HashMap::new()
    } else {
        profile
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.to_string(), i))
            .collect()
    };
    for (id, sev) in &severity {
        let Ok(parsed) = sev.get_ref().parse::<Severity>() else {
            doc.problem(
                Some(sev.span().start),
                Code::BadSeverity,
                format!(
                    "severity of {id:?}: {:?} is not {}",
                    sev.get_ref(),
                    severities()
                ),
            );
            continue;
        };
        match index.get(id) {
            Some(&i) => profile.rules.to_mut()[i].severity = parsed,
            None => doc.problem(
                Some(sev.span().start),
                Code::UnknownRule,
                format!("severity: no rule {id:?} in profile {}", profile.name),
            ),
        }
    }
    for (start, def) in doc.take_items::<WaiverDef>("waiver") {
        if def.reason.trim().is_empty() {
            doc.problem(
                Some(start),
                Code::EmptyReason,
                format!("waiver of {:?}: reason is empty", def.rule.get_ref()),
            );
        }
        let expires = match &def.expires {
            None => None,
            Some(d) => match d.get_ref() {
                toml::value::Datetime {
                    date: Some(date),
                    time: None,
                    offset: None,
                } => {
                    // The TOML parser refuses days that do not exist; this holds it whatever
                    // the parser's version.
                    let written = format!("{:04}-{:02}-{:02}", date.year, date.month, date.day);
                    match parse_date(&written) {
                        Ok(d) => Some(d),
                        Err(e) => {
                            doc.problem(
                                Some(d.span().start),
                                Code::BadDate,
                                format!("expires = {written}: {e}"),
                            );
                            None
                        }
                    }
                }
                _ => {
                    doc.problem(
                        Some(d.span().start),
                        Code::BadDate,
                        "expires must be a date (expires = 2027-01-31)".into(),
                    );
                    None
                }
            },
        };
        profile.waivers.push(Waiver {
            rule: def.rule.into_inner(),
            reason: def.reason.trim().to_string(),
            expires,
            at: at(&doc, start),
        });
    }
    if doc.problems.is_empty() {
        Ok(())
    } else {
        let mut problems = doc.problems;
        diag::sort(&mut problems);
        Err(PolicyError { problems })
    }
}

/// Today's date by the system clock (UTC). `--today` is the only way to judge waivers against
/// another date, and the output says when it is used.
pub fn today() -> Result<Date, String> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("system clock before 1970: {e}"))?
        .as_secs();
    Ok(civil_from_days((secs / 86_400) as i64))
}

/// A calendar date written `YYYY-MM-DD` (four, two and two digits), refused unless that day
/// exists: `2024-02-31`, `2023-02-29`, month 13 and day 0 are errors, with the reason.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("not a date: write it as YYYY-MM-DD".to_string());
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().expect("digits");
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    if !(1..=12).contains(&m) {
        return Err(format!("not a date: there is no month {m}"));
    }
    let last = days_in_month(y, m);
    if !(1..=last).contains(&d) {
        return Err(format!(
            "not a date: {} {y} has days 1 to {last}",
            MONTHS[m as usize - 1]
        ));
    }
    Ok((y as i32, m, d))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn days_in_month(y: u32, m: u32) -> u32 {
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A date to days since 1970-01-01 (the inverse of [`civil_from_days`]).
pub fn days_from_civil((y, m, d): Date) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as an RFC 3339 UTC time: `2026-12-05T02:37:12Z`.
pub fn datetime_text(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        for z in [-800_000, -1, 0, 59, 60, 20_786, 2_932_896] {
            assert_eq!(days_from_civil(civil_from_days(z)), z);
        }
        assert_eq!(datetime_text(1_796_524_632), "2026-12-06T02:37:12Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    /// Only days that exist are dates; the reason names what is wrong.
    #[test]
    fn parse_date_refuses_days_that_do_not_exist() {
        assert_eq!(parse_date("2027-01-31"), Ok((2027, 1, 31)));
        assert_eq!(parse_date("2024-02-29"), Ok((2024, 2, 29)));
        assert_eq!(parse_date("2000-02-29"), Ok((2000, 2, 29)));
        for (bad, why) in [
            ("2024-02-31", "February 2024 has days 1 to 29"),
            ("2023-02-29", "February 2023 has days 1 to 28"),
            ("1900-02-29", "February 1900 has days 1 to 28"),
            ("2024-04-31", "April 2024 has days 1 to 30"),
            ("2024-01-00", "January 2024 has days 1 to 31"),
            ("2024-13-01", "there is no month 13"),
            ("2024-00-10", "there is no month 0"),
            ("2024-1-01", "YYYY-MM-DD"),
            (" 2024-01-01", "YYYY-MM-DD"),
            ("2024-01-01x", "YYYY-MM-DD"),
            ("+024-01-01", "YYYY-MM-DD"),
            ("tomorrow", "YYYY-MM-DD"),
            ("", "YYYY-MM-DD"),
        ] {
            let e = parse_date(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
