//! Problems of a policy as values: the file, where in it (line:column), a stable code and a
//! message. Every problem of a file is collected before any is reported; the binary prints
//! them (`kharden: error: FILE:LINE:COL: message`) in one place.
//!
//! Shared with build.rs: this file uses only std, strum and its neighbours (`super::`).

use std::fmt;

super::kinds::word_enum! {
    /// What kind of problem a diagnostic is. The codes are stable: scripts may match them, and
    /// docs/policy-format.md lists each (a test holds the list and this enum equal).
    #[strum(serialize_all = "kebab-case")]
    pub enum Code {
        /// The file is not TOML (each syntax error the parser finds).
        TomlSyntax,
        /// A key the format does not have.
        UnknownKey,
        /// A key that holds tables (`rule`, `check`, `any`, ...) holds something else.
        WrongShape,
        /// A value the format does not take: a missing key, a wrong type, a word that is not one
        /// of those allowed (`severity = "hgh"` in a rule).
        InvalidValue,
        /// A rule id that is not lowercase letters, digits and `-`.
        BadId,
        /// A rule's title, area, rationale or breaks is empty.
        EmptyText,
        /// A title or area that is not one line without control characters.
        ControlCharacters,
        /// An architecture kharden does not know.
        UnknownArch,
        /// `min_version` or `max_version` that is not a version.
        BadVersion,
        /// A check that is not exactly one of any/all/a source with exactly one comparison, or an
        /// empty any/all.
        BadCheck,
        /// A fact named wrongly: a kconfig option written with `CONFIG_`, a sysctl that is not
        /// dotted, a runtime fact kharden does not read.
        BadFact,
        /// A comparison that cannot hold: a bound that is not a number, lockdown level or
        /// CONFIG_NAME, a word the fact never takes, an empty none_of, a taint letter that does
        /// not exist.
        BadComparison,
        /// A remedy that is not in its source's fixed form.
        BadRemedy,
        /// A rule id that already exists.
        DuplicateRule,
        /// `extends` names another profile than the one loaded.
        ExtendsMismatch,
        /// `drop` or `[severity]` names a rule the profile does not have.
        UnknownRule,
        /// A `[severity]` value that is not low, medium, high or critical.
        BadSeverity,
        /// A waiver without a reason.
        EmptyReason,
        /// A waiver's `expires` that is not a day that exists.
        BadDate,
        /// A built-in profile that does not exist.
        UnknownProfile,
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as named to kharden (`policies/kexec.toml`, the `--policy` path); empty for a
    /// problem of no file (an unknown profile).
    pub file: String,
    /// Line and column (1-based, the column in bytes), when the problem has a place.
    pub at: Option<(usize, usize)>,
    pub code: Code,
    pub message: String,
}

impl Diagnostic {
    /// The order problems of one file are reported in: by line and column, those without a
    /// place last.
    pub fn place(&self) -> (usize, usize) {
        self.at.unwrap_or((usize::MAX, usize::MAX))
    }
}

/// `FILE:LINE:COL: message` (or `FILE: message`, or the message alone).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&*self.file, self.at) {
            ("", _) => f.write_str(&self.message),
            (file, Some((l, c))) => write!(f, "{file}:{l}:{c}: {}", self.message),
            (file, None) => write!(f, "{file}: {}", self.message),
        }
    }
}

/// Order the problems of one file by place (stable: problems at one place keep their order).
pub fn sort(problems: &mut [Diagnostic]) {
    problems.sort_by_key(Diagnostic::place);
}

/// Where each line of a text starts, so that the line and column of any number of offsets cost
/// one pass over the text plus a binary search each. (Scanning from the start of the file for
/// each problem made a 1 MiB policy with 145,000 unknown keys take 80 s.)
#[derive(Debug, Clone)]
pub struct Lines {
    /// Byte offset of the start of each line: 0, then one past each `\n`.
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines {
            starts,
            len: bytes.len(),
        }
    }

    /// Line and column (1-based, the column in bytes) of a byte offset; an offset past the end
    /// counts as the end.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        // Lines starting at or before the offset; the first starts at 0, so at least one.
        let line = self.starts.partition_point(|&s| s <= offset);
        (line, offset - self.starts[line - 1] + 1)
    }
}

/// A [`Lines`] table built on first use: most files have no problem to place.
pub struct LazyLines<'a> {
    text: &'a str,
    lines: std::cell::OnceCell<Lines>,
}

impl<'a> LazyLines<'a> {
    pub fn new(text: &'a str) -> Self {
        LazyLines {
            text,
            lines: std::cell::OnceCell::new(),
        }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines
            .get_or_init(|| Lines::new(self.text))
            .line_col(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table places every offset where a scan from the start of the text does: empty
    /// lines, a last line without a newline, characters of several bytes, past the end.
    #[test]
    fn line_table_agrees_with_a_scan() {
        let scan = |text: &str, offset: usize| {
            let before = &text.as_bytes()[..offset.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            (line, before.len() - start + 1)
        };
        for text in [
            "",
            "\n",
            "a",
            "ab\n\ncd\n",
            "x = 1\ncaf\u{e9} = 2\n\n[t]\ny",
            "\n\nz",
        ] {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    lines.line_col(offset),
                    scan(text, offset),
                    "{text:?} @{offset}"
                );
            }
        }
    }

    /// Codes are unique (as cargo-deny's `codes_unique`), kebab-case, and each is listed in
    /// docs/policy-format.md's table of codes.
    #[test]
    fn codes_unique_and_documented() {
        use strum::VariantNames;
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::VARIANTS {
            assert!(seen.insert(*code), "code {code} twice");
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{code}"
            );
        }
        let doc = include_str!("../../../../docs/policy-format.md");
        let table: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once('`').map(|(c, _)| c))
            .filter(|c| seen.contains(c))
            .collect();
        assert_eq!(
            table,
            Code::VARIANTS.to_vec(),
            "docs/policy-format.md lists the codes, in this order"
        );
    }
}
