//! A rule's remedy as a change kharden can make: a Kconfig line, a sysctl.d setting, a
//! command-line argument. Every remedy is parsed when its policy is loaded, so a malformed one
//! is a load error with its file and position, never a change silently dropped by `fix`.
//!
//! The values go into files that other programs read and run: a sysctl.d file (one setting per
//! line), a Kconfig fragment, and a GRUB drop-in that `update-grub` sources as shell. A value
//! that could end a line, start a comment, quote, or expand in a shell would let a policy (a
//! snapshot's own `etc/kharden/policy.toml`, say) write settings or commands of its choosing,
//! so each part is held to the characters its place needs and no more.
//!
//! Shared with build.rs: this file uses only its neighbours (`super::`).

use super::kinds::SourceKind;

/// One machine-applicable change, parsed from a rule's remedy text. A compiled rule holds its
/// changes as [`Part`]s of the text it keeps anyway (`Change<Part>`); parsing gives parts of the
/// text read (`Change<&str>`); plans own theirs (`Change`, with `String`s).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change<S = String> {
    /// `CONFIG_X=value` (value as written, e.g. `y`, `"sha512"`).
    KconfigSet { name: S, value: S },
    /// `# CONFIG_X is not set`.
    KconfigUnset { name: S },
    /// `key = value` in a sysctl.d file.
    Sysctl { key: S, value: S },
    /// An argument to add to the kernel command line.
    CmdlineAdd { arg: S },
    /// `remove ARG`: an argument to take off the command line.
    CmdlineRemove { arg: S },
}

impl<S> Change<S> {
    /// The same change with each text mapped.
    pub fn map<T>(&self, f: impl Fn(&S) -> T) -> Change<T> {
        match self {
            Change::KconfigSet { name, value } => Change::KconfigSet {
                name: f(name),
                value: f(value),
            },
            Change::KconfigUnset { name } => Change::KconfigUnset { name: f(name) },
            Change::Sysctl { key, value } => Change::Sysctl {
                key: f(key),
                value: f(value),
            },
            Change::CmdlineAdd { arg } => Change::CmdlineAdd { arg: f(arg) },
            Change::CmdlineRemove { arg } => Change::CmdlineRemove { arg: f(arg) },
        }
    }
}

/// Where a part of a change lies in its remedy's text, in bytes. A compiled rule keeps its
/// changes as parts of the text it holds anyway: the static built-in profiles carry no second
/// copy of them, and no more pointers for the loader to relocate at every start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Part {
    pub start: u32,
    pub end: u32,
}

impl Part {
    /// The place of `part`, a slice of `text`, in `text`.
    pub fn of(text: &str, part: &str) -> Part {
        let start = (part.as_ptr() as usize)
            .checked_sub(text.as_ptr() as usize)
            .filter(|s| s + part.len() <= text.len())
            .expect("a part of the text");
        Part {
            start: start as u32,
            end: (start + part.len()) as u32,
        }
    }

    /// This part of `text`.
    pub fn in_text(self, text: &str) -> &str {
        &text[self.start as usize..self.end as usize]
    }
}

impl<'t> Change<&'t str> {
    /// Parse a remedy (`source`, `text`); `Ok(None)` for free-text instructions (runtime). The
    /// change's texts are slices of `text`.
    pub fn parse(source: &str, text: &'t str) -> Result<Option<Change<&'t str>>, String> {
        let t = text.trim();
        if t.chars().any(|c| c.is_control() && c != '\t') {
            return Err(format!(
                "{source} remedy {t:?} must be one line without control characters"
            ));
        }
        let Ok(kind) = source.parse::<SourceKind>() else {
            use strum::VariantNames;
            return Err(format!(
                "remedy source {source:?} is not {}",
                SourceKind::VARIANTS.join(", ")
            ));
        };
        match kind {
            SourceKind::Kconfig => {
                if let Some(name) = t
                    .strip_prefix("# CONFIG_")
                    .and_then(|r| r.strip_suffix(" is not set"))
                {
                    return valid_symbol(name).map(|n| Some(Change::KconfigUnset { name: n }));
                }
                let rest = t
                    .strip_prefix("CONFIG_")
                    .ok_or_else(|| format!("kconfig remedy {t:?} is not a config line"))?;
                let (name, value) = rest
                    .split_once('=')
                    .ok_or_else(|| format!("kconfig remedy {t:?} has no '='"))?;
                if !kconfig_value(value) {
                    return Err(format!(
                        "kconfig remedy {t:?}: the value must be y, m, n, a number or a \"string\" \
                         without quotes, backslashes or control characters"
                    ));
                }
                Ok(Some(Change::KconfigSet {
                    name: valid_symbol(name)?,
                    value,
                }))
            }
            SourceKind::Sysctl => {
                let (key, value) = t
                    .split_once('=')
                    .ok_or_else(|| format!("sysctl remedy {t:?} is not `key = value`"))?;
                let (key, value) = (key.trim(), value.trim());
                let key_ok = key.contains('.')
                    && !key.starts_with('.')
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
                if !key_ok {
                    return Err(format!("sysctl remedy {t:?} has a malformed key"));
                }
                // Values are numbers or words, several separated by spaces or tabs (kernel.printk).
                let value_ok = !value.is_empty()
                    && value.bytes().all(|b| {
                        b.is_ascii_alphanumeric()
                            || matches!(b, b' ' | b'\t' | b'.' | b'_' | b'-' | b':' | b',' | b'/')
                    });
                if !value_ok {
                    return Err(format!(
                        "sysctl remedy {t:?}: the value must be numbers or words (letters, digits, \
                         spaces and . _ - : , /)"
                    ));
                }
                Ok(Some(Change::Sysctl { key, value }))
            }
            SourceKind::Cmdline => {
                let (remove, arg) = match t.strip_prefix("remove ") {
                    Some(arg) => (true, arg.trim()),
                    None => (false, t),
                };
                if !cmdline_arg(arg) {
                    return Err(format!(
                        "cmdline remedy {t:?} must be one argument (or `remove ARG`) of letters, \
                         digits and . _ - , : = + / @"
                    ));
                }
                Ok(Some(if remove {
                    Change::CmdlineRemove { arg }
                } else {
                    Change::CmdlineAdd { arg }
                }))
            }
            SourceKind::Runtime => Ok(None),
        }
    }
}

fn valid_symbol(name: &str) -> Result<&str, String> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(name)
    } else {
        Err(format!("{name:?} is not a Kconfig symbol"))
    }
}

/// `y`, `m`, `n`, a decimal or hex number, or a quoted string with nothing in it that could end
/// the string or the line.
fn kconfig_value(v: &str) -> bool {
    if matches!(v, "y" | "m" | "n") {
        return true;
    }
    let digits = v.strip_prefix('-').unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if let Some(hex) = v.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    match v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'),
        None => false,
    }
}

/// One kernel argument that is also inert in a shell word: nothing a shell would expand,
/// quote, split or glob, nothing that ends a `case` pattern.
fn cmdline_arg(arg: &str) -> bool {
    !arg.is_empty()
        && !arg.starts_with('-')
        && arg.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'.' | b'_' | b'-' | b',' | b':' | b'=' | b'+' | b'/' | b'@'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remedies_cannot_carry_lines_comments_or_shell() {
        for (source, text) in [
            ("sysctl", "kernel.sysrq = 0\nkernel.modules_disabled = 1"),
            ("sysctl", "kernel.core_pattern = |/tmp/evil"),
            ("sysctl", "kernel.sysrq = 0 # comment"),
            ("sysctl", "kernel.sysrq\n = 0"),
            ("sysctl", "kernel.sysrq = \x1b[2J"),
            ("kconfig", "CONFIG_X=y\nCONFIG_MODULES=n"),
            ("kconfig", "CONFIG_X=\"a\"b\""),
            ("kconfig", "CONFIG_X=\"a\\\"\""),
            ("kconfig", "CONFIG_X=$(evil)"),
            ("cmdline", "x=$(touch${IFS}/tmp/pwned)"),
            ("cmdline", "x=`id`"),
            ("cmdline", "a;reboot"),
            ("cmdline", "remove a)"),
            ("cmdline", "remove *"),
            ("cmdline", "init='/tmp/evil'"),
            ("cmdline", "a\nb"),
            ("cmdline", "--"),
            ("shell", "x"),
        ] {
            assert!(
                Change::parse(source, text).is_err(),
                "{source} {text:?} was accepted"
            );
        }
        for (source, text) in [
            ("sysctl", "kernel.printk = 3 4 1 3"),
            ("sysctl", "net.ipv4.conf.all.rp_filter = 1"),
            ("kconfig", "CONFIG_MODULE_SIG_HASH=\"sha512\""),
            ("kconfig", "CONFIG_ARCH_MMAP_RND_BITS=32"),
            ("kconfig", "# CONFIG_KEXEC is not set"),
            ("cmdline", "mitigations=auto,nosmt"),
            ("cmdline", "remove nokaslr"),
            ("runtime", "echo integrity > /sys/kernel/security/lockdown"),
        ] {
            assert!(
                Change::parse(source, text).is_ok(),
                "{source} {text:?} was refused"
            );
        }
    }
}
