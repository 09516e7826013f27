//! The names facts go by: the four sources, the runtime facts and the lockdown levels. Each is
//! an enum whose spellings come from one derive (strum); serde writes them through it.
//!
//! Shared with build.rs (which compiles the built-in rules into static data): this file uses
//! nothing of the crate but its neighbours through `super::`, and only strum and serde.

use std::borrow::Borrow;
use std::cmp::Ordering;

/// `as_str` from the strum spelling, and serde writing that spelling (directly: serde's
/// `into = "&str"` made a full-profile report measurably slower to write).
macro_rules! spelled {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )*};
}
pub(crate) use spelled;

/// Where a fact comes from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase")]
pub enum SourceKind {
    Kconfig,
    Cmdline,
    Sysctl,
    Runtime,
}

spelled!(SourceKind, RuntimeFact);

impl SourceKind {
    /// A key as the JSON documents and the human output spell it: a kconfig option with the
    /// kernel's own `CONFIG_` prefix (rules and facts keep the bare name), anything else as is.
    pub fn spelled_key(self, key: &str) -> std::borrow::Cow<'_, str> {
        match self {
            SourceKind::Kconfig => std::borrow::Cow::Owned(format!("CONFIG_{key}")),
            _ => std::borrow::Cow::Borrowed(key),
        }
    }
}

/// A fact of the running kernel that is not a config line, a command-line parameter or a sysctl
/// (docs/audit-facts.md). Rules name them (`runtime = "lockdown"`); the name is decided when a
/// policy is loaded, so that evaluation and `apply` look them up by this enum.
///
/// Ordered by name, like the strings a rule writes, so that a map keyed by facts can also be
/// looked up by a written name (`Borrow<str>`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum RuntimeFact {
    Lockdown,
    Lsm,
    SigEnforce,
    SecureBoot,
    Kaslr,
    Kallsyms,
}

impl RuntimeFact {
    /// The values the fact takes, when they are a closed set (a rule comparing with another
    /// word is refused when it is loaded); `None` for the LSM list.
    pub fn values(self) -> Option<&'static [&'static str]> {
        match self {
            RuntimeFact::Lockdown => Some(<Lockdown as strum::VariantNames>::VARIANTS),
            RuntimeFact::Lsm => None,
            RuntimeFact::SigEnforce => Some(&["Y", "N"]),
            RuntimeFact::SecureBoot => Some(&["enabled", "disabled", "setup_mode", "not_efi"]),
            RuntimeFact::Kaslr => Some(&["in_effect", "off"]),
            RuntimeFact::Kallsyms => Some(&["hidden", "visible"]),
        }
    }
}

impl Ord for RuntimeFact {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RuntimeFact {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Borrow<str> for RuntimeFact {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// The kernel's lockdown levels, in order: each forbids what the one before does, and more.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase")]
pub enum Lockdown {
    None,
    Integrity,
    Confidentiality,
}

impl Lockdown {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// A map keyed by facts is looked up by name (`Borrow<str>`): that holds only while the
    /// facts order as their names do.
    #[test]
    fn runtime_facts_order_as_their_names() {
        let facts: Vec<RuntimeFact> = RuntimeFact::iter().collect();
        for a in &facts {
            for b in &facts {
                assert_eq!(a.cmp(b), a.as_str().cmp(b.as_str()));
            }
            assert_eq!(a.as_str().parse::<RuntimeFact>().ok(), Some(*a));
        }
    }

    #[test]
    fn names_and_order() {
        assert!(Lockdown::None < Lockdown::Integrity);
        assert!(Lockdown::Integrity < Lockdown::Confidentiality);
        assert_eq!(
            "integrity".parse::<Lockdown>().ok(),
            Some(Lockdown::Integrity)
        );
        assert!("Integrity".parse::<Lockdown>().is_err());
        assert_eq!(RuntimeFact::SigEnforce.as_str(), "sig_enforce");
        assert_eq!(
            serde_json::to_string(&SourceKind::Kconfig).unwrap(),
            "\"kconfig\""
        );
    }
}
