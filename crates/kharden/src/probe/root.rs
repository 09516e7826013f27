//! Every file kharden reads is read through a `Root`: `/` on a live host, or a snapshot tree
//! with the same relative paths. Absolute symlinks inside a snapshot are re-anchored under it,
//! so a captured tree never reaches out to the machine running the audit.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
}

/// The largest file read from under a root (a decompressed config is bounded separately).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Root {
        Root { dir: dir.into() }
    }

    pub fn is_host(&self) -> bool {
        self.dir == Path::new("/")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How a path is shown to the user: absolute as on the audited system.
    pub fn display(rel: &str) -> String {
        format!("/{}", rel.trim_start_matches('/'))
    }

    /// Resolve `rel` (a path as on the audited system) to a path on this machine.
    pub fn resolve(&self, rel: &str) -> io::Result<PathBuf> {
        if self.is_host() {
            return Ok(Path::new("/").join(rel.trim_start_matches('/')));
        }
        let mut pending: Vec<PathBuf> = vec![PathBuf::from(rel.trim_start_matches('/'))];
        let mut inside = PathBuf::new();
        let mut hops = 0;
        while let Some(next) = pending.pop() {
            let mut comps: Vec<Component> = next.components().collect();
            comps.reverse();
            while let Some(c) = comps.pop() {
                match c {
                    Component::RootDir => inside = PathBuf::new(),
                    Component::CurDir | Component::Prefix(_) => {}
                    Component::ParentDir => {
                        inside.pop();
                    }
                    Component::Normal(name) => {
                        let candidate = inside.join(name);
                        let full = self.dir.join(&candidate);
                        match std::fs::symlink_metadata(&full) {
                            Ok(m) if m.file_type().is_symlink() => {
                                hops += 1;
                                if hops > 40 {
                                    return Err(io::Error::other(
                                        "too many levels of symbolic links",
                                    ));
                                }
                                let target = std::fs::read_link(&full)?;
                                let rest: PathBuf = comps.iter().rev().collect();
                                if !rest.as_os_str().is_empty() {
                                    pending.push(rest);
                                }
                                pending.push(target);
                                comps.clear();
                            }
                            _ => inside = candidate,
                        }
                    }
                }
            }
        }
        Ok(self.dir.join(inside))
    }

    /// Read a regular file, at most `limit` bytes (one more byte means "too large").
    pub fn read_limited(&self, rel: &str, limit: u64) -> io::Result<Vec<u8>> {
        let path = self.resolve(rel)?;
        read_regular(&path, limit)
    }

    pub fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        self.read_limited(rel, MAX_FILE_BYTES)
    }

    /// A small text file (`/proc`, `/sys` values), trimmed.
    pub fn read_text(&self, rel: &str) -> io::Result<String> {
        let bytes = self.read_limited(rel, 1 << 20)?;
        Ok(String::from_utf8_lossy(&bytes).trim().to_string())
    }

    /// The first `len` bytes of a file (for large proc files such as `/proc/kallsyms`).
    pub fn read_prefix(&self, rel: &str, len: u64) -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.open_prefix(rel, len)?.read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// A reader of at most the first `len` bytes of a regular file, for callers that stop as
    /// soon as they have found what they look for (the kernel formats `/proc/kallsyms`, ~120,000
    /// lines, as it is read: reading all of it took 70 ms of system time).
    pub fn open_prefix(&self, rel: &str, len: u64) -> io::Result<io::Take<std::fs::File>> {
        let path = self.resolve(rel)?;
        let meta = std::fs::metadata(&path)?;
        if !meta.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        Ok(std::fs::File::open(&path)?.take(len))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.resolve(rel)
            .map(|p| std::fs::symlink_metadata(p).is_ok())
            .unwrap_or(false)
    }

    pub fn is_dir_nonempty(&self, rel: &str) -> bool {
        self.resolve(rel)
            .ok()
            .and_then(|p| std::fs::read_dir(p).ok())
            .is_some_and(|mut d| d.next().is_some())
    }
}

/// Open only regular files (a FIFO would block, a device could be endless) and read at most
/// `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    // Regular files report their size (/proc files report 0): read in one go when known.
    let mut buf = Vec::with_capacity((meta.len().min(limit) as usize).saturating_add(1));
    file.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "file is larger than {}",
            human_size(limit)
        )));
    }
    Ok(buf)
}

fn human_size(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// A short, user-facing reason for an I/O error: "needs root" rather than "os error 13".
pub fn io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::PermissionDenied => "permission denied (needs root)".to_string(),
        io::ErrorKind::NotFound => "not found".to_string(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_lowercase(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(dir.path().join("usr/src/hdr")).unwrap();
        std::fs::write(dir.path().join("usr/src/hdr/.config"), "CONFIG_A=y\n").unwrap();
        std::fs::create_dir_all(dir.path().join("lib/modules/6.1")).unwrap();
        std::os::unix::fs::symlink("/usr/src/hdr", dir.path().join("lib/modules/6.1/build"))
            .unwrap();
        assert_eq!(
            root.read("/lib/modules/6.1/build/.config").unwrap(),
            b"CONFIG_A=y\n"
        );
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        assert!(root.read("loop/x").is_err());
    }

    #[test]
    fn refuses_directories_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), vec![b'a'; 100]).unwrap();
        let root = Root::new(dir.path());
        assert!(root.read_limited("f", 99).is_err());
        assert_eq!(root.read_limited("f", 100).unwrap().len(), 100);
        assert_eq!(root.read("").unwrap_err().to_string(), "is a directory");
    }
}
