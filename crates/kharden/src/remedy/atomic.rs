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
    clean_stale(dir, name);
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

/// Remove what an earlier run killed between writing and renaming left behind: temporaries of
/// this target (`.<name>.kharden-tmp.<pid>`) whose process is gone. A live process's file is
/// left alone (another kharden may be writing the same target right now).
fn clean_stale(dir: &Path, name: &std::ffi::OsStr) {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".kharden-tmp.");
    let prefix = prefix.to_string_lossy().into_owned();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(e.path());
        }
    }
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
    fn stale_temporaries_of_dead_processes_are_removed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("99-kharden.conf");
        // pid 0 is never a process; our own pid is alive; another target's file is not ours.
        let dead = d.path().join(".99-kharden.conf.kharden-tmp.0");
        let live = d.path().join(format!(
            ".99-kharden.conf.kharden-tmp.{}",
            std::process::id()
        ));
        let other = d.path().join(".kharden.cfg.kharden-tmp.0");
        for f in [&dead, &other] {
            std::fs::write(f, b"half").unwrap();
        }
        write(&p, b"kernel.kptr_restrict = 1\n", 0o644).unwrap();
        assert!(!dead.exists(), "a dead process's temporary stays");
        assert!(other.exists(), "another target's temporary was removed");
        assert!(!live.exists(), "our own temporary was not renamed");
        assert_eq!(std::fs::read(&p).unwrap(), b"kernel.kptr_restrict = 1\n");
    }

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
