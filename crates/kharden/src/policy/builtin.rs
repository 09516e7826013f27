//! The built-in rule files and profiles, embedded in the binary. `policies/` in the repository
//! is their single home.

use super::diag::{Code, Diagnostic};
use super::{parse_rules, PolicyError, Profile};

pub use super::full_files::FULL_FILES;
pub use super::profiles::{file_text, profile_files, PROFILES, RULE_FILES};

// `generated::static_profile(name)`: the rules of a built-in profile as build.rs compiled them
// into static data (texts and lists borrow from the binary: loading allocates nothing), or
// `None` when build.rs could not compile one of its files; the files are then parsed here so
// that the problem is reported as usual. The test below holds the static rules equal to the
// rules parsed and validated from the files at run time.
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

pub fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|(n, _, _)| *n).collect()
}

/// Load a built-in profile. Every built-in file is validated by the test suite, so an error
/// here means a broken build; it is still reported, not unwrapped.
pub fn load(name: &str) -> Result<Profile, PolicyError> {
    let Some((pname, description, _)) = PROFILES.iter().find(|(n, _, _)| *n == name) else {
        return Err(PolicyError {
            problems: vec![Diagnostic {
                file: String::new(),
                at: None,
                code: Code::UnknownProfile,
                message: format!(
                    "unknown profile {name:?} (built-in: {})",
                    profile_names().join(", ")
                ),
            }],
        });
    };
    let rules = match generated::static_profile(pname) {
        Some(rules) => rules.into(),
        None => parse_profile(pname)?.into(),
    };
    Ok(Profile {
        name: pname.to_string(),
        description: description.to_string(),
        rules,
        waivers: Vec::new(),
        today: None,
        dropped: Vec::new(),
        policy_files: Vec::new(),
    })
}

/// The rules of a built-in profile parsed and validated from its files at run time, with every
/// problem of every file (and duplicate ids) collected.
fn parse_profile(name: &str) -> Result<Vec<super::Rule>, PolicyError> {
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for file in profile_files(name) {
        match parse_rules(&format!("policies/{file}"), file_text(file).unwrap_or("")) {
            Ok(r) => rules.extend(r),
            Err(e) => problems.extend(e.problems),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &rules {
        if !seen.insert(r.id.clone()) {
            problems.push(Diagnostic {
                file: r.file.to_string(),
                at: None,
                code: Code::DuplicateRule,
                message: format!("duplicate rule id {:?}", r.id),
            });
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(PolicyError { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What build.rs compiled is what the TOML says: for every built-in profile, the static
    /// rules equal, field for field and in order, the rules parsed and validated from its files
    /// at run time (which also rejects duplicate ids).
    #[test]
    fn static_profiles_equal_the_parsed_files() {
        for (name, _, _) in PROFILES {
            // The files' own problems first: they are why build.rs would have left a profile out.
            let slow = parse_profile(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            let fast = generated::static_profile(name)
                .unwrap_or_else(|| panic!("profile {name} was not compiled by build.rs"));
            assert!(slow.len() > 15, "{name}: {}", slow.len());
            assert_eq!(fast.len(), slow.len(), "{name}");
            for (f, s) in fast.iter().zip(&slow) {
                assert_eq!(format!("{f:?}"), format!("{s:?}"), "{name}: {}", s.id);
                assert!(matches!(f.rationale, std::borrow::Cow::Borrowed(_)));
                // Remedies are parsed into changes in the static data too.
                for r in f.remedy.iter() {
                    assert_eq!(
                        r.change.is_some(),
                        r.source != crate::probe::SourceKind::Runtime,
                        "{}",
                        s.id
                    );
                }
            }
        }
        assert!(generated::static_profile("no-such").is_none());
    }
}

/// What to tell a user who named a rule `profile` does not have (`kharden explain ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elsewhere {
    /// The id exists, in these other built-in profiles.
    InProfiles(Vec<&'static str>),
    /// No such id anywhere; the closest one (a typo, by edit distance) and where it is: `None`
    /// for `profile` itself, else the built-in profile that has it.
    Closest(String, Option<&'static str>),
    /// Nothing near it.
    Nothing,
}

/// Where a rule id that `profile` lacks can be found: exactly, in another built-in profile; or
/// the closest id (at most a third of its length away, and at least 2 edits allowed) in
/// `profile` first, then in the others.
pub fn elsewhere(id: &str, profile: &Profile) -> Elsewhere {
    let others: Vec<Profile> = profile_names()
        .into_iter()
        .filter(|n| *n != profile.name)
        .filter_map(|n| load(n).ok())
        .collect();
    let having: Vec<&'static str> = profile_names()
        .into_iter()
        .filter(|n| others.iter().any(|p| p.name == *n && p.rule(id).is_some()))
        .collect();
    if !having.is_empty() {
        return Elsewhere::InProfiles(having);
    }
    let limit = (id.chars().count() / 3).max(2);
    let closest = |p: &Profile| {
        p.rules
            .iter()
            .map(|r| (strsim::levenshtein(id, &r.id), r.id.to_string()))
            .filter(|(d, _)| *d <= limit)
            .min()
    };
    if let Some((_, near)) = closest(profile) {
        return Elsewhere::Closest(near, None);
    }
    let best = others
        .iter()
        .filter_map(|p| closest(p).map(|(d, near)| (d, near, p.name.clone())))
        .min();
    match best {
        Some((_, near, pname)) => {
            let pname = profile_names().into_iter().find(|n| *n == pname);
            Elsewhere::Closest(near, pname)
        }
        None => Elsewhere::Nothing,
    }
}
