//! Snapshot archives (`kharden snapshot`): a tar (ustar) of the files an audit reads, compressed
//! with zstd, read back into memory as a tree that a [`super::Root`] serves without anything
//! being unpacked to disk.
//!
//! An archive is hostile input. Reading one is bounded (compressed size, decompressed size,
//! number of entries) and refuses, as bad input naming the entry: absolute paths, `..`, `.` and
//! empty components, names that are not printable UTF-8, paths outside the list of what an audit
//! reads ([`allowed`]), links, devices, FIFOs and every entry type but regular files and
//! directories, extended headers (PAX, GNU long names), duplicates, bad checksums, truncation.
//! The writer emits only what the reader accepts, in sorted order with fixed owners, modes and
//! times, so the same files give the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

/// The file at the top of every archive: provenance and the files that could not be read.
pub const MANIFEST: &str = "KHARDEN-SNAPSHOT";
/// First line of the manifest.
pub const MANIFEST_MAGIC: &str = "kharden-snapshot 1";

/// Largest compressed archive read.
pub const MAX_ARCHIVE_BYTES: u64 = 32 << 20;
/// Largest decompressed tar (a zstd bomb stops here).
pub const MAX_TAR_BYTES: u64 = 128 << 20;
/// Most entries in one archive.
pub const MAX_ENTRIES: usize = 20_000;

const BLOCK: usize = 512;

/// The files of a snapshot, in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemTree {
    /// Relative path (no leading `/`) to content.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Directories that exist (given explicitly, or implied by a file under them).
    pub dirs: BTreeSet<String>,
    /// Files that existed but could not be read when the snapshot was taken, with why.
    pub unreadable: BTreeMap<String, String>,
    /// `key=value` provenance lines of the manifest (hostname, boot_id, time, kharden_version).
    pub provenance: BTreeMap<String, String>,
}

/// Why an archive cannot be used (the caller names the archive file).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ArchiveError(pub String);

fn bad(msg: impl Into<String>) -> ArchiveError {
    ArchiveError(msg.into())
}

/// Whether `rel` (relative, clean) is a path an audit reads, so may be in an archive.
pub fn allowed(rel: &str) -> bool {
    const EXACT: &[&str] = &[
        "proc/config.gz",
        "proc/cmdline",
        "proc/kallsyms",
        "sys/kernel/security/lockdown",
        "sys/kernel/security/lsm",
        "sys/module/module/parameters/sig_enforce",
        "sys/kernel/boot_params/data",
        "etc/kharden/policy.toml",
        "proc/modules",
        "proc/mounts",
        "proc/swaps",
        "sys/kernel/kexec_crash_loaded",
        "sys/kernel/kexec_loaded",
        "dev/kmsg",
        "sys/power/disk",
        "sys/power/resume",
        "sys/fs/selinux/enforce",
    ];
    const DIRS: &[&str] = &[
        "dev",
        "proc",
        "proc/sys",
        "proc/sys/kernel",
        "sys",
        "sys/kernel",
        "sys/kernel/security",
        "sys/module",
        "sys/firmware",
        "sys/firmware/efi",
        "sys/firmware/efi/efivars",
        "sys/power",
        "sys/fs",
        "sys/fs/selinux",
    ];
    if rel == MANIFEST || EXACT.contains(&rel) || DIRS.contains(&rel) {
        return true;
    }
    if let Some(rest) = rel.strip_prefix("proc/sys/") {
        return !rest.is_empty();
    }
    // IPE (probe/runtime.rs): its directory, `enforce`, and each policy's directory and `active`.
    if matches!(
        rel,
        "sys/kernel/security/ipe"
            | "sys/kernel/security/ipe/policies"
            | "sys/kernel/security/ipe/enforce"
    ) {
        return true;
    }
    if let Some(rest) = rel.strip_prefix("sys/kernel/security/ipe/policies/") {
        return match rest.split_once('/') {
            Some((name, tail)) => !name.is_empty() && tail == "active",
            None => !rest.is_empty(),
        };
    }
    if let Some(var) = rel.strip_prefix("sys/firmware/efi/efivars/") {
        return [
            "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
            "SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c",
            "MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23",
        ]
        .contains(&var);
    }
    if let Some(rel) = rel.strip_prefix("boot/config-") {
        return !rel.is_empty() && !rel.contains('/');
    }
    if let Some(rest) = rel
        .strip_prefix("lib/modules/")
        .or_else(|| rel.strip_prefix("usr/lib/modules/"))
    {
        return match rest.split_once('/') {
            Some((release, tail)) => {
                !release.is_empty() && matches!(tail, "config" | "build/.config")
            }
            None => false,
        };
    }
    false
}

/// A path of an archive entry, checked: relative, clean, printable, allowed.
fn check_path(raw: &str) -> Result<String, ArchiveError> {
    let shown = crate::term::clean(raw);
    let name = raw.strip_suffix('/').unwrap_or(raw);
    if name.is_empty() {
        return Err(bad("an entry has an empty name"));
    }
    if name.starts_with('/') {
        return Err(bad(format!("entry {shown}: absolute path")));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(bad(format!("entry {shown}: control character in the name")));
    }
    for part in name.split('/') {
        match part {
            "" => return Err(bad(format!("entry {shown}: empty path component"))),
            "." | ".." => return Err(bad(format!("entry {shown}: {part} in the path"))),
            _ => {}
        }
    }
    if !allowed(name) {
        return Err(bad(format!(
            "entry {shown}: not a file kharden's audit reads"
        )));
    }
    Ok(name.to_string())
}

impl MemTree {
    /// Read a compressed archive (its bytes, at most [`MAX_ARCHIVE_BYTES`]).
    pub fn from_archive(compressed: &[u8]) -> Result<MemTree, ArchiveError> {
        let format = kdecomp::detect(compressed);
        if format != kdecomp::Format::Zstd {
            return Err(bad(format!(
                "not a kharden snapshot archive (tar + zstd): {} data",
                format.name()
            )));
        }
        let (_, tar) =
            kdecomp::decompress(compressed, MAX_TAR_BYTES).map_err(|e| bad(e.to_string()))?;
        MemTree::from_tar(&tar)
    }

    /// Read an uncompressed ustar archive.
    pub fn from_tar(tar: &[u8]) -> Result<MemTree, ArchiveError> {
        let mut tree = MemTree::default();
        let mut seen = BTreeSet::new();
        let mut pos = 0;
        let mut entries = 0;
        let mut manifest = None;
        loop {
            let header = tar
                .get(pos..pos + BLOCK)
                .ok_or_else(|| bad("truncated: no end-of-archive marker"))?;
            if header.iter().all(|&b| b == 0) {
                break;
            }
            entries += 1;
            if entries > MAX_ENTRIES {
                return Err(bad(format!("more than {MAX_ENTRIES} entries")));
            }
            let h = Header::parse(header)?;
            pos += BLOCK;
            let data_end = pos
                .checked_add(h.size)
                .filter(|&e| e <= tar.len())
                .ok_or_else(|| bad(format!("entry {}: truncated", crate::term::clean(&h.name))))?;
            let data = &tar[pos..data_end];
            pos = data_end.div_ceil(BLOCK) * BLOCK;
            let name = check_path(&h.name)?;
            if !seen.insert(name.clone()) {
                return Err(bad(format!("entry {name}: appears twice")));
            }
            match h.kind {
                b'0' | 0 => {
                    if name == MANIFEST {
                        manifest = Some(data.to_vec());
                    } else {
                        tree.add_parents(&name);
                        tree.files.insert(name, data.to_vec());
                    }
                }
                b'5' => {
                    if h.size != 0 {
                        return Err(bad(format!("entry {name}: a directory with data")));
                    }
                    tree.add_parents(&name);
                    tree.dirs.insert(name);
                }
                b'1' | b'2' => return Err(bad(format!("entry {name}: a link"))),
                b'3' | b'4' => return Err(bad(format!("entry {name}: a device"))),
                b'6' => return Err(bad(format!("entry {name}: a FIFO"))),
                b'x' | b'g' | b'L' | b'K' => {
                    return Err(bad(format!(
                        "entry {name}: extended header (not written by kharden)"
                    )))
                }
                k => {
                    return Err(bad(format!(
                        "entry {name}: unsupported entry type {:?}",
                        k as char
                    )))
                }
            }
        }
        let manifest =
            manifest.ok_or_else(|| bad(format!("no {MANIFEST}: not a kharden snapshot")))?;
        tree.read_manifest(&manifest)?;
        Ok(tree)
    }

    fn add_parents(&mut self, name: &str) {
        let mut at = name;
        while let Some((parent, _)) = at.rsplit_once('/') {
            self.dirs.insert(parent.to_string());
            at = parent;
        }
    }

    fn read_manifest(&mut self, raw: &[u8]) -> Result<(), ArchiveError> {
        let text = std::str::from_utf8(raw).map_err(|_| bad(format!("{MANIFEST}: not UTF-8")))?;
        let mut lines = text.lines();
        if lines.next() != Some(MANIFEST_MAGIC) {
            return Err(bad(format!(
                "{MANIFEST}: does not start with {MANIFEST_MAGIC:?}"
            )));
        }
        for line in lines {
            let (k, v) = line.split_once('=').ok_or_else(|| {
                bad(format!(
                    "{MANIFEST}: not key=value: {}",
                    crate::term::clean(line)
                ))
            })?;
            match k {
                "unreadable" => {
                    let (path, why) = v.split_once(": ").unwrap_or((v, "unreadable"));
                    let path = check_path(path.trim_start_matches('/'))?;
                    self.unreadable.insert(path, why.to_string());
                }
                "hostname" | "boot_id" | "time" | "kharden_version" => {
                    self.provenance.insert(k.to_string(), v.to_string());
                }
                _ => {
                    return Err(bad(format!(
                        "{MANIFEST}: unknown key {}",
                        crate::term::clean(k)
                    )))
                }
            }
        }
        Ok(())
    }

    /// The manifest's text.
    fn manifest(&self) -> String {
        let mut s = format!("{MANIFEST_MAGIC}\n");
        for (k, v) in &self.provenance {
            s.push_str(&format!("{k}={v}\n"));
        }
        for (p, why) in &self.unreadable {
            s.push_str(&format!("unreadable=/{p}: {why}\n"));
        }
        s
    }

    /// The tree as an uncompressed ustar archive (deterministic).
    pub fn to_tar(&self) -> Result<Vec<u8>, ArchiveError> {
        let mut out = Vec::new();
        append(&mut out, MANIFEST, b'0', self.manifest().as_bytes())?;
        let mut all: BTreeMap<&str, Option<&[u8]>> = BTreeMap::new();
        for d in &self.dirs {
            all.insert(d, None);
        }
        for (f, data) in &self.files {
            all.insert(f, Some(data));
        }
        for (name, data) in all {
            check_path(name)?;
            match data {
                Some(d) => append(&mut out, name, b'0', d)?,
                None => append(&mut out, name, b'5', &[])?,
            }
        }
        out.extend_from_slice(&[0u8; 2 * BLOCK]);
        Ok(out)
    }

    /// The tree as a tar + zstd archive.
    pub fn to_archive(&self) -> Result<Vec<u8>, ArchiveError> {
        kdecomp::compress(kdecomp::Format::Zstd, &self.to_tar()?).map_err(|e| bad(e.to_string()))
    }

    fn key(rel: &str) -> &str {
        rel.trim_start_matches('/')
    }

    /// A file's bytes, as [`super::Root::read_limited`] would give them.
    pub fn read(&self, rel: &str, limit: u64) -> io::Result<Vec<u8>> {
        let key = Self::key(rel);
        if let Some(why) = self.unreadable.get(key) {
            let kind = if why.contains("permission") {
                io::ErrorKind::PermissionDenied
            } else {
                io::ErrorKind::Other
            };
            return Err(io::Error::new(kind, why.clone()));
        }
        match self.files.get(key) {
            Some(d) if d.len() as u64 > limit => {
                Err(io::Error::other(format!("larger than {limit} bytes")))
            }
            Some(d) => Ok(d.clone()),
            None if self.dirs.contains(key) => Err(io::Error::from_raw_os_error(21)),
            None => Err(io::ErrorKind::NotFound.into()),
        }
    }

    pub fn exists(&self, rel: &str) -> bool {
        let key = Self::key(rel);
        key.is_empty()
            || self.files.contains_key(key)
            || self.dirs.contains(key)
            || self.unreadable.contains_key(key)
    }

    /// The names directly under the directory `rel`.
    pub fn list(&self, rel: &str) -> io::Result<Vec<String>> {
        let key = Self::key(rel);
        if !key.is_empty() && !self.dirs.contains(key) {
            return Err(io::ErrorKind::NotFound.into());
        }
        let prefix = if key.is_empty() {
            String::new()
        } else {
            format!("{key}/")
        };
        let mut names: Vec<String> = self
            .files
            .keys()
            .chain(self.dirs.iter())
            .chain(self.unreadable.keys())
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty())
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_string())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    pub fn dir_nonempty(&self, rel: &str) -> bool {
        let prefix = format!("{}/", Self::key(rel));
        let under = |k: &String| k.starts_with(&prefix);
        self.files.keys().any(under)
            || self.dirs.iter().any(under)
            || self.unreadable.keys().any(under)
    }
}

/// One ustar entry: header, data, padding. Names over 100 bytes use the prefix field.
fn append(out: &mut Vec<u8>, name: &str, kind: u8, data: &[u8]) -> Result<(), ArchiveError> {
    let mut h = [0u8; BLOCK];
    let (prefix, base) = if name.len() <= 100 {
        ("", name)
    } else {
        let split = name[..name.len().min(156)]
            .rfind('/')
            .filter(|&i| name.len() - i - 1 <= 100 && i <= 155)
            .ok_or_else(|| bad(format!("entry {name}: name too long for ustar")))?;
        (&name[..split], &name[split + 1..])
    };
    h[..base.len()].copy_from_slice(base.as_bytes());
    let octal = |h: &mut [u8; BLOCK], at: usize, width: usize, v: u64| {
        let s = format!("{v:0w$o}", w = width - 1);
        h[at..at + width - 1].copy_from_slice(s.as_bytes());
    };
    octal(&mut h, 100, 8, if kind == b'5' { 0o755 } else { 0o644 });
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    octal(&mut h, 124, 12, data.len() as u64);
    octal(&mut h, 136, 12, 0);
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    Ok(())
}

struct Header {
    name: String,
    size: usize,
    kind: u8,
}

impl Header {
    fn parse(h: &[u8]) -> Result<Header, ArchiveError> {
        let field = |r: std::ops::Range<usize>| {
            let f = &h[r];
            &f[..f.iter().position(|&b| b == 0).unwrap_or(f.len())]
        };
        let text = |r: std::ops::Range<usize>| {
            std::str::from_utf8(field(r)).map_err(|_| bad("an entry name is not UTF-8"))
        };
        let mut name = text(0..100)?.to_string();
        if &h[257..262] == b"ustar" {
            let prefix = text(345..500)?;
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        let shown = crate::term::clean(&name).into_owned();
        let octal = |r: std::ops::Range<usize>, what: &str| -> Result<u64, ArchiveError> {
            let f = std::str::from_utf8(field(r))
                .unwrap_or("?")
                .trim_matches(' ');
            u64::from_str_radix(if f.is_empty() { "0" } else { f }, 8)
                .map_err(|_| bad(format!("entry {shown}: bad {what} field")))
        };
        let stored = octal(148..156, "checksum")?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    u64::from(b' ')
                } else {
                    u64::from(b)
                }
            })
            .sum();
        if stored != sum {
            return Err(bad(format!("entry {shown}: header checksum mismatch")));
        }
        let size = octal(124..136, "size")?;
        let size = usize::try_from(size)
            .ok()
            .filter(|&s| s as u64 <= super::MAX_FILE_BYTES)
            .ok_or_else(|| bad(format!("entry {shown}: too large")))?;
        Ok(Header {
            name,
            size,
            kind: h[156],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> MemTree {
        let mut t = MemTree::default();
        t.files.insert("proc/cmdline".into(), b"quiet\n".to_vec());
        t.files.insert(
            "sys/firmware/efi/efivars/MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23".into(),
            vec![7, 0, 0, 0, 1],
        );
        t.files.insert(
            format!("lib/modules/{}/build/.config", "6".repeat(90)),
            b"CONFIG_X=y\n".to_vec(),
        );
        t.dirs.insert("sys/module".into());
        t.unreadable.insert(
            "proc/kallsyms".into(),
            "permission denied (needs root)".into(),
        );
        t.provenance.insert("hostname".into(), "node1".into());
        t
    }

    #[test]
    fn round_trip_and_lookups() {
        let t = tree();
        let bytes = t.to_archive().unwrap();
        let back = MemTree::from_archive(&bytes).unwrap();
        assert_eq!(back.files, t.files);
        assert_eq!(back.unreadable, t.unreadable);
        assert_eq!(back.provenance, t.provenance);
        assert!(back.exists("/sys/module") && back.exists("/sys/firmware/efi"));
        assert!(back.dir_nonempty("/sys/firmware") && !back.dir_nonempty("/sys/module"));
        assert_eq!(back.list("/sys").unwrap(), ["firmware", "module"]);
        assert_eq!(back.list("/proc").unwrap(), ["cmdline", "kallsyms"]);
        assert!(back.list("/etc").is_err());
        assert_eq!(back.read("/proc/cmdline", 100).unwrap(), b"quiet\n");
        assert_eq!(
            back.read("/proc/kallsyms", 100).unwrap_err().kind(),
            io::ErrorKind::PermissionDenied
        );
        assert_eq!(
            back.read("/nope", 1).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(back.read("/proc/cmdline", 3).is_err());
        // Deterministic.
        assert_eq!(t.to_archive().unwrap(), bytes);
    }

    #[test]
    fn the_list() {
        for ok in [
            "proc/sys/kernel/kptr_restrict",
            "boot/config-6.1.0-56-cloud-amd64",
            "lib/modules/6.1/build/.config",
            "usr/lib/modules/6.1/config",
            "sys/kernel/security/lockdown",
        ] {
            assert!(allowed(ok), "{ok}");
        }
        for no in [
            "etc/shadow",
            "root/.ssh/id_rsa",
            "boot/vmlinuz-6.1",
            "lib/modules/6.1/kernel/x.ko",
            "proc/sys/",
            "boot/config-a/b",
        ] {
            assert!(!allowed(no), "{no}");
        }
    }

    /// Raw entries a hostile archive may hold.
    fn raw_entry(name: &str, kind: u8, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // `append` checks nothing but length: hostile names go through it as they are.
        append(&mut out, name, kind, data).unwrap();
        out
    }

    fn with(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut tar = raw_entry(MANIFEST, b'0', format!("{MANIFEST_MAGIC}\n").as_bytes());
        for e in entries {
            tar.extend_from_slice(e);
        }
        tar.extend_from_slice(&[0u8; 2 * BLOCK]);
        tar
    }

    #[test]
    fn hostile_entries_are_refused() {
        let cases: &[(Vec<u8>, &str)] = &[
            (raw_entry("/etc/shadow", b'0', b"x"), "absolute path"),
            (
                raw_entry("proc/sys/../../etc/shadow", b'0', b"x"),
                ".. in the path",
            ),
            (raw_entry("proc/sys/kernel/x", b'2', b""), "a link"),
            (raw_entry("proc/sys/kernel/y", b'1', b""), "a link"),
            (raw_entry("proc/sys/kernel/z", b'3', b""), "a device"),
            (raw_entry("proc/sys/kernel/f", b'6', b""), "a FIFO"),
            (
                raw_entry("proc/sys/kernel/p", b'x', b"path=/etc\n"),
                "extended header",
            ),
            (
                raw_entry("etc/passwd", b'0', b"x"),
                "not a file kharden's audit reads",
            ),
            (
                raw_entry("proc/sys/kernel/\u{1b}[2J", b'0', b"x"),
                "control character",
            ),
        ];
        for (entry, want) in cases {
            let err = MemTree::from_tar(&with(std::slice::from_ref(entry))).unwrap_err();
            assert!(err.0.contains(want), "{want}: {err}");
        }
        let dup = raw_entry("proc/cmdline", b'0', b"a");
        let err = MemTree::from_tar(&with(&[dup.clone(), dup])).unwrap_err();
        assert!(err.0.contains("twice"), "{err}");
        // Truncated data and no end marker.
        let mut t = with(&[raw_entry("proc/cmdline", b'0', &[b'a'; 600])]);
        t.truncate(BLOCK * 3);
        assert!(MemTree::from_tar(&t).is_err());
        // A flipped byte breaks the checksum.
        let mut t = with(&[]);
        t[10] ^= 1;
        assert!(MemTree::from_tar(&t).unwrap_err().0.contains("checksum"));
        // No manifest.
        let mut t = raw_entry("proc/cmdline", b'0', b"a");
        t.extend_from_slice(&[0u8; 2 * BLOCK]);
        assert!(MemTree::from_tar(&t).unwrap_err().0.contains(MANIFEST));
        // Not zstd.
        assert!(MemTree::from_archive(b"hello")
            .unwrap_err()
            .0
            .contains("not a kharden snapshot"));
    }

    /// A zstd bomb stops at the bound, with an error, not after filling memory.
    #[test]
    fn bomb_is_bounded() {
        let zeros = vec![0u8; (MAX_TAR_BYTES + (1 << 20)) as usize];
        let bomb = kdecomp::compress(kdecomp::Format::Zstd, &zeros).unwrap();
        assert!(bomb.len() < (1 << 20));
        assert!(MemTree::from_archive(&bomb).is_err());
    }
}
