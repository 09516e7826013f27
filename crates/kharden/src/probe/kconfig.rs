//! Kernel build configuration (`.config`): `CONFIG_X=value` and `# CONFIG_X is not set` lines.
//!
//! The reader accepts plain, gzip, xz and zstd data (sniffed, not guessed from the name), keeps
//! the last of duplicated lines as Kconfig itself does, and reports every line it could not use
//! as a warning with its number.

/// Largest decompressed config accepted. Real configs are 100-300 KiB.
pub const MAX_CONFIG_BYTES: u64 = 64 << 20;
/// Longest single line accepted. Real lines are under 2 KiB (CONFIG_CMDLINE, CONFIG_LSM).
pub const MAX_LINE_BYTES: usize = 64 << 10;

/// A parsed config. The file's text is kept once; options are ranges into it, indexed by an
/// open-addressing hash table, so parsing a 10,000-line config allocates a handful of buffers
/// rather than two strings per line.
#[derive(Clone)]
pub struct KConfig {
    text: Box<str>,
    entries: Vec<Entry>,
    /// The index of each entry, by the hash of its name (hashbrown keeps a tag of the hash per
    /// slot, so a probe rarely reads an entry, and the text it points to, that is not the one).
    index: hashbrown::HashTable<u32>,
    /// `(major, minor, patch)` from the header comment, when present.
    pub version: Option<(u32, u32, u32)>,
    pub arch: Option<String>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    name: (u32, u32),
    value: Val,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    Y,
    M,
    N,
    /// A range of the text (strings without their quotes, numbers as written).
    Text(u32, u32),
}

impl std::fmt::Debug for KConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KConfig")
            .field("options", &self.len())
            .field("version", &self.version)
            .field("arch", &self.arch)
            .finish()
    }
}

impl PartialEq for KConfig {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().all(|(k, v)| other.get(k) == Some(v))
            && self.version == other.version
    }
}
impl Eq for KConfig {}

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

/// A word-at-a-time multiplicative hash: option names are 10-40 bytes of ASCII, and hashing
/// them a byte at a time (FNV) was a third of the time spent parsing a 10,000-line config. The
/// last word overlaps the one before it rather than being copied out (a call to memcpy per
/// name); the length is mixed in first, so overlapping reads cannot make two names alike.
fn hash(name: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let word = |at: usize| u64::from_le_bytes(name[at..at + 8].try_into().expect("8 bytes"));
    let n = name.len();
    let mut h = n as u64;
    if n >= 8 {
        let mut at = 0;
        while at + 8 <= n {
            h = mix(h, word(at));
            at += 8;
        }
        if at < n {
            h = mix(h, word(n - 8));
        }
    } else if n > 0 {
        let w = name
            .iter()
            .enumerate()
            .fold(0, |w, (k, &c)| w | u64::from(c) << (8 * k));
        h = mix(h, w);
    }
    h
}

impl KConfig {
    /// Parse raw file bytes, decompressing them first when needed.
    pub fn from_bytes(raw: &[u8]) -> Result<(KConfig, kdecomp::Format), KConfigError> {
        let (format, data) = kdecomp::decompress(raw, MAX_CONFIG_BYTES)
            .map_err(|e| KConfigError::Decompress(e.to_string()))?;
        Ok((KConfig::parse_owned(data)?, format))
    }

    /// [`KConfig::from_bytes`] taking the file's buffer: plain text is parsed in place, not
    /// copied.
    pub fn from_vec(raw: Vec<u8>) -> Result<(KConfig, kdecomp::Format), KConfigError> {
        if kdecomp::detect(&raw) != kdecomp::Format::Plain {
            return KConfig::from_bytes(&raw);
        }
        if raw.len() as u64 > MAX_CONFIG_BYTES {
            // The same message as for any other input over the limit.
            return KConfig::from_bytes(&raw);
        }
        Ok((KConfig::parse_owned(raw)?, kdecomp::Format::Plain))
    }

    pub fn parse(data: &[u8]) -> Result<KConfig, KConfigError> {
        KConfig::parse_owned(data.to_vec())
    }

    /// Parse a buffer, taking ownership of it (no copy when it is valid UTF-8).
    pub fn parse_owned(data: Vec<u8>) -> Result<KConfig, KConfigError> {
        if let Some(pos) = memchr::memchr(0, &data) {
            return Err(KConfigError::Binary(pos));
        }
        // One UTF-8 check for the whole file; strings in a config are ASCII in practice.
        let text: Box<str> = match String::from_utf8(data) {
            Ok(s) => s.into_boxed_str(),
            Err(e) => String::from_utf8_lossy(e.as_bytes())
                .into_owned()
                .into_boxed_str(),
        };
        if text.len() >= u32::MAX as usize {
            return Err(KConfigError::Decompress("config larger than 4 GiB".into()));
        }
        let mut cfg = KConfig {
            entries: Vec::with_capacity(text.len() / 28),
            index: hashbrown::HashTable::with_capacity(text.len() / 28),
            text,
            version: None,
            arch: None,
            warnings: Vec::new(),
        };
        // Parse from a shared view of the text while inserting ranges into `cfg`.
        let text = std::mem::take(&mut cfg.text);
        let base = text.as_ptr() as usize;
        let off = |s: &str| (s.as_ptr() as usize - base) as u32;
        let mut result = Ok(());
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut lineno = 0;
        while start <= bytes.len() {
            lineno += 1;
            // Most lines are `CONFIG_X=v` or `# CONFIG_X is not set` exactly: one pass over
            // their bytes. Anything else takes the general path below, which gives the same
            // result for these lines, only slower.
            if let Some((name, val, next)) = fast_line(bytes, start) {
                let value = match val {
                    FastVal::Word(v) => v,
                    FastVal::Text(from, to) => value(&text[from..to], off),
                };
                cfg.insert(&text, lineno, (name.0 as u32, name.1 as u32), value);
                start = next;
                continue;
            }
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let raw_line = &text[start..end];
            start = end + 1;
            if raw_line.len() > MAX_LINE_BYTES {
                result = Err(KConfigError::LineTooLong {
                    line: lineno,
                    max: MAX_LINE_BYTES,
                });
                break;
            }
            let line = raw_line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let comment = comment.trim_ascii();
                if let Some(name) = comment
                    .strip_prefix("CONFIG_")
                    .and_then(|r| r.strip_suffix(" is not set"))
                {
                    if valid_name(name) {
                        cfg.insert(&text, lineno, (off(name), name.len() as u32), Val::N);
                    } else {
                        cfg.warnings.push(format!(
                            "line {lineno}: malformed option name {:?}",
                            clip(name)
                        ));
                    }
                } else if cfg.version.is_none() {
                    cfg.version = header_version(comment);
                }
                continue;
            }
            let Some(rest) = line.strip_prefix("CONFIG_") else {
                cfg.warnings
                    .push(format!("line {lineno}: not a config line: {}", clip(line)));
                continue;
            };
            let Some((name, value_text)) = rest
                .bytes()
                .position(|b| b == b'=')
                .map(|i| (&rest[..i], &rest[i + 1..]))
            else {
                cfg.warnings
                    .push(format!("line {lineno}: missing '=': {}", clip(line)));
                continue;
            };
            if !valid_name(name) {
                cfg.warnings.push(format!(
                    "line {lineno}: malformed option name {:?}",
                    clip(name)
                ));
                continue;
            }
            let val = value(value_text, off);
            cfg.insert(&text, lineno, (off(name), name.len() as u32), val);
        }
        cfg.text = text;
        result?;
        if cfg.entries.is_empty() {
            return Err(KConfigError::Empty);
        }
        cfg.arch = cfg.arch_of();
        Ok(cfg)
    }

    fn slice_of(text: &str, (start, len): (u32, u32)) -> &str {
        &text[start as usize..(start + len) as usize]
    }

    fn val_of(text: &str, v: Val) -> &str {
        match v {
            Val::Y => "y",
            Val::M => "m",
            Val::N => "n",
            Val::Text(s, l) => Self::slice_of(text, (s, l)),
        }
    }

    fn insert(&mut self, text: &str, lineno: usize, name: (u32, u32), value: Val) {
        let key = Self::slice_of(text, name);
        let entries = &self.entries;
        let found = self.index.entry(
            hash(key.as_bytes()),
            |&i| Self::slice_of(text, entries[i as usize].name) == key,
            |&i| hash(Self::slice_of(text, entries[i as usize].name).as_bytes()),
        );
        match found {
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(self.entries.len() as u32);
                self.entries.push(Entry { name, value });
            }
            hashbrown::hash_table::Entry::Occupied(slot) => {
                let entry = &mut self.entries[*slot.get() as usize];
                let (old, new) = (Self::val_of(text, entry.value), Self::val_of(text, value));
                self.warnings.push(if old != new {
                    format!("line {lineno}: CONFIG_{key} set again ({old} then {new}); the last one counts")
                } else {
                    format!("line {lineno}: CONFIG_{key} repeated")
                });
                entry.value = value;
            }
        }
    }

    /// The value of `CONFIG_<name>` (`y`, `m`, `n` for "is not set", strings without quotes),
    /// `None` when the config has no line for it.
    pub fn get(&self, name: &str) -> Option<&str> {
        let text = &self.text;
        let i = *self.index.find(hash(name.as_bytes()), |&i| {
            Self::slice_of(text, self.entries[i as usize].name) == name
        })?;
        Some(Self::val_of(text, self.entries[i as usize].value))
    }

    /// The 1-based line that sets `CONFIG_<name>` (for a string or number set more than once,
    /// the line of the value that counts; otherwise the option's first line), `None` when the
    /// config has no line for it. For reports that point at the line (SARIF).
    pub fn line_of(&self, name: &str) -> Option<usize> {
        let text = &self.text;
        let i = *self.index.find(hash(name.as_bytes()), |&i| {
            Self::slice_of(text, self.entries[i as usize].name) == name
        })?;
        let entry = self.entries[i as usize];
        let offset = match entry.value {
            Val::Text(start, _) => start,
            _ => entry.name.0,
        } as usize;
        Some(memchr::memchr_iter(b'\n', &self.text.as_bytes()[..offset]).count() + 1)
    }

    /// True when the option is `y` or `m`.
    pub fn enabled(&self, name: &str) -> bool {
        matches!(self.get(name), Some("y") | Some("m"))
    }

    /// Number of distinct options.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every option in file order (first appearance), with its last value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries.iter().map(|e| {
            (
                Self::slice_of(&self.text, e.name),
                Self::val_of(&self.text, e.value),
            )
        })
    }

    /// The architecture a config was made for, in Kconfig-style names (x86_64, x86_32, arm64,
    /// arm, riscv, ...).
    fn arch_of(&self) -> Option<String> {
        let on = |n: &str| self.get(n) == Some("y");
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
}

/// The value after `=`: `y`, `m`, `n`, or a range of the text (a string without its quotes, a
/// number as written); `off` gives a slice's offset in the text.
fn value(raw: &str, off: impl Fn(&str) -> u32) -> Val {
    let v = raw.trim_ascii();
    match v {
        "y" => Val::Y,
        "m" => Val::M,
        "n" => Val::N,
        _ => {
            let inner = v
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .unwrap_or(v);
            Val::Text(off(inner), inner.len() as u32)
        }
    }
}

/// The value of a line read by [`fast_line`]: `y`, `m`, `n`, or the raw bytes after `=`.
enum FastVal {
    Word(Val),
    Text(usize, usize),
}

/// A line at `start` that is exactly `CONFIG_NAME=VALUE` or `# CONFIG_NAME is not set`, no
/// longer than [`MAX_LINE_BYTES`]: the name's (offset, length), its value, and where the next
/// line starts. `None` for every other line (the general path reads those).
fn fast_line(b: &[u8], start: usize) -> Option<((usize, usize), FastVal, usize)> {
    let rest = &b[start..];
    let (unset, name_at) = if rest.starts_with(b"CONFIG_") {
        (false, start + 7)
    } else if rest.starts_with(b"# CONFIG_") {
        (true, start + 9)
    } else {
        return None;
    };
    let mut i = name_at;
    while i < b.len() && NAME_BYTE[b[i] as usize] {
        i += 1;
    }
    let name = (name_at, i - name_at);
    if name.1 == 0 {
        return None;
    }
    let line_end = |at: usize| at == b.len() || b[at] == b'\n';
    let (val, end) = if unset {
        const NOT_SET: &[u8] = b" is not set";
        if !b[i..].starts_with(NOT_SET) || !line_end(i + NOT_SET.len()) {
            return None;
        }
        (FastVal::Word(Val::N), i + NOT_SET.len())
    } else {
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        let word = match b.get(i) {
            Some(b'y') => Some(Val::Y),
            Some(b'm') => Some(Val::M),
            Some(b'n') => Some(Val::N),
            _ => None,
        };
        match word {
            Some(v) if line_end(i + 1) => (FastVal::Word(v), i + 1),
            _ => {
                let end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                (FastVal::Text(i, end), end)
            }
        }
    };
    (end - start <= MAX_LINE_BYTES).then_some((name, val, end + 1))
}

/// Bytes of an option name (Kconfig symbols are `[A-Za-z0-9_]`), as a table: this test runs
/// on every byte of every name of a 10,000-line config.
const NAME_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| NAME_BYTE[b as usize])
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

pub use crate::policy::parse_version;

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

    /// The one-pass reading of the common lines gives what the general path gives: every line
    /// read again with a leading space (which only the general path takes) parses the same, on
    /// edge cases and on a real Debian config.
    #[test]
    fn fast_lines_read_as_the_general_path_does() {
        let edge = "CONFIG_A=y\nCONFIG_B=m\r\nCONFIG_C=n\nCONFIG_D=y \nCONFIG_E=\"s p\"\n\
                    CONFIG_F=0x10\n# CONFIG_G is not set\n# CONFIG_H is not set \n\
                    # CONFIG_I is not set\r\nCONFIG_=y\nCONFIG_J-K=y\nCONFIG_L\nCONFIG_A=m\n\
                    CONFIG_M=\nCONFIG_N=yy\n# CONFIG_O is not\n#CONFIG_P is not set\nCONFIG_Q=y";
        let real = kdecomp::decompress(
            include_bytes!("../../tests/fixtures/configs/debian12-6.1-amd64.config.xz"),
            MAX_CONFIG_BYTES,
        )
        .unwrap()
        .1;
        for text in [edge.as_bytes().to_vec(), real] {
            let spaced: Vec<u8> = text
                .split(|&b| b == b'\n')
                .map(|l| [b" ", l].concat())
                .collect::<Vec<_>>()
                .join(&b'\n');
            let (fast, general) = (
                KConfig::parse(&text).unwrap(),
                KConfig::parse(&spaced).unwrap(),
            );
            assert_eq!(fast, general);
            assert_eq!(fast.warnings, general.warnings);
            assert!(fast.iter().eq(general.iter()));
            assert!(fast.len() >= 13, "{}", fast.len());
        }
    }

    /// The line of an option: `y`, "is not set" and strings; a string set twice points at the
    /// line that counts; an absent option has none.
    #[test]
    fn line_of_points_at_the_setting() {
        let cfg = KConfig::parse(
            b"#\n# Linux/x86 6.1.172 Kernel Configuration\nCONFIG_A=y\n# CONFIG_B is not set\n\
              CONFIG_S=\"one\"\n\nCONFIG_S=\"two\"\n",
        )
        .unwrap();
        assert_eq!(cfg.line_of("A"), Some(3));
        assert_eq!(cfg.line_of("B"), Some(4));
        assert_eq!(cfg.line_of("S"), Some(7));
        assert_eq!(cfg.line_of("C"), None);
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

    /// Short lines make the table outgrow its first guess several times over; every option is
    /// still found with its last value, duplicates are still caught, and absent names are absent.
    #[test]
    fn the_index_grows_and_stays_exact() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("CONFIG_{i}=y\n"));
        }
        for i in (0..20_000).step_by(7) {
            text.push_str(&format!("CONFIG_{i}={i}\n"));
        }
        let cfg = KConfig::parse(text.as_bytes()).unwrap();
        assert_eq!(cfg.len(), 20_000);
        assert!(cfg.index.capacity() >= 20_000 && cfg.index.len() == 20_000);
        for i in 0..20_000 {
            let want = if i % 7 == 0 {
                i.to_string()
            } else {
                "y".into()
            };
            assert_eq!(cfg.get(&i.to_string()), Some(want.as_str()), "{i}");
        }
        assert_eq!(cfg.warnings.len(), 20_000_usize.div_ceil(7));
        for absent in ["20000", "A", "", "0_", "00"] {
            assert_eq!(cfg.get(absent), None, "{absent}");
        }
        let order: Vec<&str> = cfg.iter().take(3).map(|(k, _)| k).collect();
        assert_eq!(order, ["0", "1", "2"]);
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
