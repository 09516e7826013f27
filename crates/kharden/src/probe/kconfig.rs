//! Kernel build configuration (`.config`): `CONFIG_X=value` and `# CONFIG_X is not set` lines.
//!
//! The reader accepts plain, gzip, xz and zstd data (sniffed, not guessed from the name), keeps
//! the last of duplicated lines as Kconfig itself does, and reports every line it could not use
//! as a warning with its number.

use std::borrow::Cow;
use std::collections::HashMap;

/// Largest decompressed config accepted. Real configs are 100-300 KiB.
pub const MAX_CONFIG_BYTES: u64 = 64 << 20;
/// Longest single line accepted. Real lines are under 2 KiB (CONFIG_CMDLINE, CONFIG_LSM).
pub const MAX_LINE_BYTES: usize = 64 << 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KConfig {
    /// Option name without the `CONFIG_` prefix → value (`y`, `m`, `n` for "is not set",
    /// strings with their quotes removed, numbers as written).
    pub options: HashMap<String, String>,
    /// `(major, minor, patch)` from the header comment, when present.
    pub version: Option<(u32, u32, u32)>,
    pub arch: Option<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KConfigError {
    #[error("{0}")]
    Decompress(String),
    #[error("binary data (NUL byte at offset {0}), not a kernel config")]
    Binary(usize),
    #[error("line {line} is longer than {max} bytes")]
    LineTooLong { line: usize, max: usize },
    #[error("no CONFIG_ lines found: not a kernel config")]
    Empty,
}

impl KConfig {
    /// Parse raw file bytes, decompressing them first when needed.
    pub fn from_bytes(raw: &[u8]) -> Result<(KConfig, kdecomp::Format), KConfigError> {
        let (format, data) = kdecomp::decompress(raw, MAX_CONFIG_BYTES)
            .map_err(|e| KConfigError::Decompress(e.to_string()))?;
        Ok((KConfig::parse(&data)?, format))
    }

    pub fn parse(data: &[u8]) -> Result<KConfig, KConfigError> {
        if let Some(pos) = data.iter().position(|&b| b == 0) {
            return Err(KConfigError::Binary(pos));
        }
        // One UTF-8 check for the whole file; strings in a config are ASCII in practice.
        let text: Cow<str> = String::from_utf8_lossy(data);
        let mut options = HashMap::with_capacity(text.len() / 24);
        let mut warnings = Vec::new();
        let mut version = None;
        for (idx, line) in text.split('\n').enumerate() {
            let lineno = idx + 1;
            if line.len() > MAX_LINE_BYTES {
                return Err(KConfigError::LineTooLong {
                    line: lineno,
                    max: MAX_LINE_BYTES,
                });
            }
            let line = line.trim_end_matches('\r').trim();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let comment = comment.trim();
                if let Some(name) = comment
                    .strip_prefix("CONFIG_")
                    .and_then(|r| r.strip_suffix(" is not set"))
                {
                    if valid_name(name) {
                        insert(&mut options, &mut warnings, lineno, name, "n".into());
                    } else {
                        warnings.push(format!("line {lineno}: malformed option name {name:?}"));
                    }
                } else if version.is_none() {
                    version = header_version(comment);
                }
                continue;
            }
            let Some(rest) = line.strip_prefix("CONFIG_") else {
                warnings.push(format!("line {lineno}: not a config line: {}", clip(line)));
                continue;
            };
            let Some((name, value)) = rest.split_once('=') else {
                warnings.push(format!("line {lineno}: missing '=': {}", clip(line)));
                continue;
            };
            if !valid_name(name) {
                warnings.push(format!(
                    "line {lineno}: malformed option name {:?}",
                    clip(name)
                ));
                continue;
            }
            let value = unquote(value);
            insert(&mut options, &mut warnings, lineno, name, value);
        }
        if options.is_empty() {
            return Err(KConfigError::Empty);
        }
        let arch = arch_of(&options);
        Ok(KConfig {
            options,
            version,
            arch,
            warnings,
        })
    }

    /// The value of `CONFIG_<name>`, `None` when the config has no line for it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    /// True when the option is `y` or `m`.
    pub fn enabled(&self, name: &str) -> bool {
        matches!(self.get(name), Some("y") | Some("m"))
    }
}

fn insert(
    options: &mut HashMap<String, String>,
    warnings: &mut Vec<String>,
    lineno: usize,
    name: &str,
    value: String,
) {
    if let Some(old) = options.get_mut(name) {
        if *old != value {
            warnings.push(format!(
                "line {lineno}: CONFIG_{name} set again ({old} then {value}); the last one counts"
            ));
            *old = value;
        } else {
            warnings.push(format!("line {lineno}: CONFIG_{name} repeated"));
        }
    } else {
        options.insert(name.to_string(), value);
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b.is_ascii_lowercase()
        })
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\")
    } else {
        v.to_string()
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(60).collect();
        format!("{cut}...")
    } else {
        s.to_string()
    }
}

/// `Linux/x86 6.1.172 Kernel Configuration` → (6, 1, 172).
fn header_version(comment: &str) -> Option<(u32, u32, u32)> {
    let rest = comment.strip_prefix("Linux/")?;
    let rest = rest.strip_suffix("Kernel Configuration")?.trim();
    let ver = rest.split_whitespace().nth(1)?;
    parse_version(ver)
}

/// Parse the leading `X.Y[.Z]` of a release string such as `6.1.0-18-cloud-amd64`.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut nums = s
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse::<u32>().ok());
    let major = nums.next()??;
    let minor = nums.next()??;
    let patch = nums.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The architecture a config was made for, named as `uname -m` would (x86_64, arm64 as aarch64 is
/// not used by Kconfig; we keep Kconfig's names: x86_64, x86_32, arm64, arm, riscv, ...).
fn arch_of(options: &HashMap<String, String>) -> Option<String> {
    let on = |n: &str| options.get(n).is_some_and(|v| v == "y");
    let arch = if on("X86_64") {
        "x86_64"
    } else if on("X86_32") || (on("X86") && !on("64BIT")) {
        "x86_32"
    } else if on("ARM64") {
        "arm64"
    } else if on("ARM") {
        "arm"
    } else if on("RISCV") {
        "riscv"
    } else if on("PPC64") {
        "ppc64"
    } else if on("PPC") {
        "ppc"
    } else if on("S390") {
        "s390"
    } else if on("LOONGARCH") {
        "loongarch"
    } else if on("MIPS") {
        "mips"
    } else {
        return None;
    };
    Some(arch.to_string())
}

/// Map `uname -m` / Rust's `std::env::consts::ARCH` to the Kconfig-style names used here.
pub fn normalize_arch(machine: &str) -> String {
    match machine {
        "x86_64" | "amd64" => "x86_64",
        "i386" | "i486" | "i586" | "i686" | "x86" => "x86_32",
        "aarch64" | "arm64" => "arm64",
        m if m.starts_with("arm") => "arm",
        "riscv64" | "riscv32" | "riscv" => "riscv",
        "ppc64" | "ppc64le" | "powerpc64" => "ppc64",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_unset_and_header() {
        let cfg = KConfig::parse(
            b"#\n# Linux/x86 6.1.172 Kernel Configuration\n#\nCONFIG_X86_64=y\nCONFIG_MODULES=y\n\
              # CONFIG_MODULE_SIG_FORCE is not set\nCONFIG_MODULE_SIG_HASH=\"sha256\"\nCONFIG_NR=0x10\n",
        )
        .unwrap();
        assert_eq!(cfg.version, Some((6, 1, 172)));
        assert_eq!(cfg.arch.as_deref(), Some("x86_64"));
        assert_eq!(cfg.get("MODULE_SIG_FORCE"), Some("n"));
        assert_eq!(cfg.get("MODULE_SIG_HASH"), Some("sha256"));
        assert_eq!(cfg.get("NR"), Some("0x10"));
        assert_eq!(cfg.get("KEXEC"), None);
        assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    }

    #[test]
    fn duplicates_keep_the_last_and_warn() {
        let cfg =
            KConfig::parse(b"CONFIG_A=y\n# CONFIG_A is not set\njunk line\nCONFIG_=y\n").unwrap();
        assert_eq!(cfg.get("A"), Some("n"));
        assert_eq!(cfg.warnings.len(), 3, "{:?}", cfg.warnings);
        assert!(cfg.warnings[0].starts_with("line 2: CONFIG_A set again"));
        assert!(cfg.warnings[1].starts_with("line 3: not a config line"));
    }

    #[test]
    fn refuses_binary_empty_and_huge_lines() {
        assert_eq!(
            KConfig::parse(b"CONFIG_A=y\0"),
            Err(KConfigError::Binary(10))
        );
        assert_eq!(KConfig::parse(b"# nothing\n"), Err(KConfigError::Empty));
        let mut long = b"CONFIG_A=\"".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 1));
        assert!(matches!(
            KConfig::parse(&long),
            Err(KConfigError::LineTooLong { line: 1, .. })
        ));
    }

    #[test]
    fn versions_from_release_strings() {
        assert_eq!(parse_version("6.1.0-18-cloud-amd64"), Some((6, 1, 0)));
        assert_eq!(parse_version("6.12"), Some((6, 12, 0)));
        assert_eq!(parse_version("x"), None);
    }
}
