//! User policies: a TOML file that shapes a built-in profile without forking it. It may pick
//! the profile it extends, drop rules, change severities, add rules of the built-in kinds and
//! waive rules (with a reason and an optional expiry date). Every problem is reported at once,
//! each with file:line:column; unknown keys are errors.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{compile_rules, LazyLines, PolicyError, Profile, RuleDef, Severity};

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    drop: Vec<Spanned<String>>,
    #[serde(default)]
    severity: std::collections::BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<RuleDef>>,
    #[serde(default)]
    waiver: Vec<Spanned<WaiverDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverDef {
    rule: Spanned<String>,
    reason: String,
    #[serde(default)]
    expires: Option<Spanned<toml::value::Datetime>>,
}

/// The profile a policy file names with `extends`, if any (read before the base is loaded).
pub fn extends(text: &str) -> Option<String> {
    let table = DeTable::parse(text).ok()?;
    match table.get_ref().get("extends").map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// Apply a policy file to `profile`. `name` is used in messages (the path as given).
pub fn apply(name: &str, text: &str, profile: &mut Profile) -> Result<(), PolicyError> {
    // One table of line starts for every location (the blanked text below keeps them).
    let lines = LazyLines::new(text);
    let at = |span: std::ops::Range<usize>| {
        let (l, c) = lines.line_col(span.start);
        format!("{name}:{l}:{c}")
    };
    let table = DeTable::parse(text).map_err(|e| PolicyError {
        problems: vec![format!(
            "{}: {}",
            e.span().map(&at).unwrap_or_else(|| name.to_string()),
            e.message().trim()
        )],
    })?;
    // Unknown keys anywhere, all of them, before serde (which stops at the first).
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    check_keys(table.get_ref(), &TOP, "", &at, &mut problems, &mut unknown);
    // Then the rest of the file is checked with the unknown keys blanked out (same lines and
    // columns), so that one run reports every problem. Where blanking does not leave a file
    // serde can read (an unknown [table] header), the unknown keys are all we report.
    let cleaned = without(text, &unknown);
    let text: &str = match &cleaned {
        _ if unknown.is_empty() => text,
        Some(c) if still_valid(c) => c,
        _ => {
            sort_by_location(&mut problems);
            return Err(PolicyError { problems });
        }
    };
    let file: PolicyFile = toml::from_str(text).map_err(|e| {
        problems.push(format!(
            "{}: {}",
            e.span().map(&at).unwrap_or_else(|| name.to_string()),
            e.message().trim()
        ));
        sort_by_location(&mut problems);
        PolicyError {
            problems: std::mem::take(&mut problems),
        }
    })?;
    if let Some(ext) = &file.extends {
        if ext.get_ref() != &profile.name {
            problems.push(format!(
                "{}: extends {:?}, but profile {:?} was loaded",
                at(ext.span()),
                ext.get_ref(),
                profile.name
            ));
        }
    }
    // Rules first, so drop/severity/waiver may name the policy's own rules too.
    let defs = file
        .rule
        .into_iter()
        .map(|s| (s.span().start, s.into_inner()));
    let (rules, errs) = compile_rules(name, &lines, defs);
    problems.extend(errs);
    // Lookups by id go through a set or an index, not a scan of the profile per entry: a
    // policy may list a great many.
    let mut ids: HashSet<String> = profile.rules.iter().map(|r| r.id.to_string()).collect();
    for r in rules {
        if ids.insert(r.id.to_string()) {
            profile.rules.to_mut().push(r);
        } else {
            problems.push(format!(
                "{}: rule {:?} already exists in profile {} (drop it first to replace it)",
                r.file, r.id, profile.name
            ));
        }
    }
    let mut dropped = HashSet::new();
    for d in &file.drop {
        if ids.remove(d.get_ref().as_str()) {
            dropped.insert(d.get_ref().as_str());
        } else {
            problems.push(format!(
                "{}: drop: no rule {:?} in profile {}",
                at(d.span()),
                d.get_ref(),
                profile.name
            ));
        }
    }
    if !dropped.is_empty() {
        profile
            .rules
            .to_mut()
            .retain(|r| !dropped.contains(r.id.as_ref()));
    }
    let index: HashMap<String, usize> = if file.severity.is_empty() {
        HashMap::new()
    } else {
        profile
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.to_string(), i))
            .collect()
    };
    for (id, sev) in &file.severity {
        let parsed = match sev.get_ref().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        };
        let Some(parsed) = parsed else {
            problems.push(format!(
                "{}: severity of {id:?}: {:?} is not low, medium, high or critical",
                at(sev.span()),
                sev.get_ref()
            ));
            continue;
        };
        match index.get(id) {
            Some(&i) => profile.rules.to_mut()[i].severity = parsed,
            None => problems.push(format!(
                "{}: severity: no rule {id:?} in profile {}",
                at(sev.span()),
                profile.name
            )),
        }
    }
    for w in file.waiver {
        let wat = at(w.span());
        let def = w.into_inner();
        if def.reason.trim().is_empty() {
            problems.push(format!(
                "{wat}: waiver of {:?}: reason is empty",
                def.rule.get_ref()
            ));
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
                            problems.push(format!("{}: expires = {written}: {e}", at(d.span())));
                            None
                        }
                    }
                }
                _ => {
                    problems.push(format!(
                        "{}: expires must be a date (expires = 2027-01-31)",
                        at(d.span())
                    ));
                    None
                }
            },
        };
        profile.waivers.push(Waiver {
            rule: def.rule.into_inner(),
            reason: def.reason.trim().to_string(),
            expires,
            at: wat,
        });
    }
    if problems.is_empty() {
        Ok(())
    } else {
        sort_by_location(&mut problems);
        Err(PolicyError { problems })
    }
}

/// `text` with the byte ranges replaced by spaces (newlines kept, so lines and columns stay
/// the same); `None` when there is nothing to blank.
fn without(text: &str, ranges: &[std::ops::Range<usize>]) -> Option<String> {
    if ranges.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for r in ranges {
        let r = r.start.min(bytes.len())..r.end.min(bytes.len());
        for b in &mut bytes[r] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    // Blanking whole characters into ASCII spaces keeps UTF-8; a span that split a character
    // would not, and then the caller reports the unknown keys alone.
    String::from_utf8(bytes).ok()
}

/// The blanked file parses and has no unknown key left.
fn still_valid(text: &str) -> bool {
    let Ok(table) = DeTable::parse(text) else {
        return false;
    };
    let (mut problems, mut unknown) = (Vec::new(), Vec::new());
    check_keys(
        table.get_ref(),
        &TOP,
        "",
        &|_| String::new(),
        &mut problems,
        &mut unknown,
    );
    problems.is_empty()
}

/// Order `file:line:col: ...` messages by line and column.
fn sort_by_location(problems: &mut [String]) {
    problems.sort_by_key(|p| {
        let mut it = p
            .split(':')
            .skip(1)
            .map(|n| n.parse::<usize>().unwrap_or(usize::MAX));
        (it.next(), it.next())
    });
}

/// The shape of a policy file, for the unknown-key check.
enum Shape {
    Any,
    Table(&'static [(&'static str, Shape)]),
    ArrayOf(&'static Shape),
    /// A table with free keys (rule ids) whose values are scalars.
    FreeKeys,
    /// A check: a table of check keys, `any`/`all` holding more checks.
    Check,
}

const CHECK_KEYS: &[&str] = &[
    "kconfig",
    "cmdline",
    "sysctl",
    "runtime",
    "is",
    "one_of",
    "none_of",
    "at_least",
    "at_most",
    "contains",
    "taint_clear",
    "absent",
    "arch",
    "min_version",
    "max_version",
    "note",
];

const RULE: Shape = Shape::Table(&[
    ("id", Shape::Any),
    ("title", Shape::Any),
    ("area", Shape::Any),
    ("severity", Shape::Any),
    ("rationale", Shape::Any),
    ("breaks", Shape::Any),
    ("decision", Shape::Any),
    ("references", Shape::Any),
    ("arch", Shape::Any),
    ("min_version", Shape::Any),
    (
        "shortcut",
        Shape::ArrayOf(&Shape::Table(&[
            ("when", Shape::Check),
            ("status", Shape::Any),
            ("reason", Shape::Any),
        ])),
    ),
    ("check", Shape::Check),
    (
        "remedy",
        Shape::ArrayOf(&Shape::Table(&[
            ("source", Shape::Any),
            ("text", Shape::Any),
        ])),
    ),
]);

const TOP: Shape = Shape::Table(&[
    ("extends", Shape::Any),
    ("drop", Shape::Any),
    ("severity", Shape::FreeKeys),
    ("rule", Shape::ArrayOf(&RULE)),
    (
        "waiver",
        Shape::ArrayOf(&Shape::Table(&[
            ("rule", Shape::Any),
            ("reason", Shape::Any),
            ("expires", Shape::Any),
        ])),
    ),
]);

/// Report unknown keys; the span of each (key through value) goes to `unknown`.
fn check_keys(
    table: &DeTable<'_>,
    shape: &Shape,
    path: &str,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
    problems: &mut Vec<String>,
    unknown: &mut Vec<std::ops::Range<usize>>,
) {
    let known: Vec<&str> = match shape {
        Shape::Table(fields) => fields.iter().map(|(k, _)| *k).collect(),
        Shape::Check => CHECK_KEYS.iter().copied().chain(["any", "all"]).collect(),
        Shape::FreeKeys | Shape::Any | Shape::ArrayOf(_) => return,
    };
    for (key, value) in table.iter() {
        let k: &str = key.get_ref();
        let full = if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        };
        if !known.contains(&k) {
            problems.push(format!(
                "{}: unknown key {full:?} (expected one of: {})",
                at(key.span()),
                known.join(", ")
            ));
            unknown.push(key.span().start..value.span().end.max(key.span().end));
            continue;
        }
        let sub: &Shape = match shape {
            Shape::Table(fields) => &fields.iter().find(|(n, _)| *n == k).expect("known").1,
            Shape::Check if k == "any" || k == "all" => &Shape::ArrayOf(&Shape::Check),
            _ => &Shape::Any,
        };
        check_value(value, sub, &full, at, problems, unknown);
    }
}

fn check_value(
    value: &Spanned<DeValue<'_>>,
    shape: &Shape,
    path: &str,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
    problems: &mut Vec<String>,
    unknown: &mut Vec<std::ops::Range<usize>>,
) {
    match (shape, value.get_ref()) {
        (Shape::ArrayOf(inner), DeValue::Array(items)) => {
            for item in items {
                check_value(item, inner, path, at, problems, unknown);
            }
        }
        (Shape::Table(_) | Shape::Check, DeValue::Table(t)) => {
            check_keys(t, shape, path, at, problems, unknown)
        }
        (Shape::Any | Shape::FreeKeys, _) => {}
        (Shape::ArrayOf(_), _) => {
            problems.push(format!("{}: {path} must be an array", at(value.span())))
        }
        (_, _) => problems.push(format!("{}: {path} must be a table", at(value.span()))),
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
