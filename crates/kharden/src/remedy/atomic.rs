//! Atomic file replacement: a temporary file in the target's directory, written, synced, given
//! the target's permissions, renamed over it, and the directory synced. A crash or a full disk
//! leaves either the old file or the new one, never a truncated mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Replace `path` with `data`. New files get `default_mode`; existing files keep their mode.
pub fn write(path: &Path, data: &[u8], default_mode: u32) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("no file name"))?;
    let mode = match fs::metadata(path) {
        Ok(m) if m.is_file() => m.permissions().mode() & 0o7777,
        Ok(_) => return Err(io::Error::other("exists and is not a regular file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => default_mode,
        Err(e) => return Err(e),
    };
    let tmp = temp_path(dir, name);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Persist the rename itself.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn temp_path(dir: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let mut n = std::ffi::OsString::from(".");
    n.push(name);
    n.push(format!(".kharden-tmp.{}", std::process::id()));
    dir.join(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_keeps_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.conf");
        write(&p, b"one\n", 0o644).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        write(&p, b"two\n", 0o644).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two\n");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // No temporary file left behind.
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directory_is_an_error_and_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("nodir/f.conf");
        assert!(write(&p, b"x", 0o644).is_err());
        assert!(!d.path().join("nodir").exists());
    }
}
