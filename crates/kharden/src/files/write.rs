//! Atomic replacement of a file in a directory held by descriptor.
//!
//! A temporary file with an unpredictable name is created next to the target with `O_EXCL`
//! (a planted name is skipped, never reused), written, given the mode kharden decides (never one
//! copied from a file that was there before), synced, renamed over the target and the directory
//! synced. A reader sees the old file or the new one, never a mix; a symbolic link or a file
//! planted at the target's name is replaced, not written through.
//!
//! Temporaries are named `.<target>.kharden-tmp.<pid>.<token>` (token: 16 random hex digits).
//! A run removes only temporaries that a dead kharden process of the same user left behind:
//! the name must carry a pid and a token of that shape, the pid must be gone, and the file
//! must be a regular file owned by the caller. Nobody else's file is ever deleted.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use rustix::fs::{AtFlags, Mode, OFlags};

/// The mark in a temporary file's name.
pub const TMP_MARK: &str = ".kharden-tmp.";

/// Mode and owner of a file kharden writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perms {
    pub mode: u32,
    /// Set this owner (root re-signing a module in place keeps the module's owner); `None`:
    /// the caller's.
    pub owner: Option<(u32, u32)>,
}

impl Perms {
    pub fn mode(mode: u32) -> Perms {
        Perms { mode, owner: None }
    }

    /// The permissions a file replaced in place keeps: its owner and its permission bits
    /// without setuid, setgid, sticky, or write for group and others.
    pub fn kept_from(st: &rustix::fs::Stat) -> Perms {
        Perms {
            mode: st.st_mode & 0o755,
            owner: Some((st.st_uid, st.st_gid)),
        }
    }
}

/// Replace `path` (a path the user named: its directory is opened as given) with `data`.
pub fn replace(path: &Path, data: &[u8], perms: Perms) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("no file name"))?;
    let dir = open_parent(path)?;
    replace_at(dir.as_fd(), name, data, perms)
}

/// A new file kharden makes at a path the user named (a certificate, a report): mode 0644,
/// owned by the caller, replacing whatever was at that name.
pub fn write_new(path: &Path, data: &[u8]) -> Result<(), super::InputError> {
    replace(path, data, Perms::mode(0o644)).map_err(|e| super::InputError::io(path, &e))
}

/// The directory a user-named path lives in, opened for `*at` calls and fsync.
pub fn open_parent(path: &Path) -> io::Result<OwnedFd> {
    let parent = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Ok(rustix::fs::open(
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Replace `name` in the directory `dir` with `data`, durably (file and directory synced).
pub fn replace_at(dir: BorrowedFd<'_>, name: &OsStr, data: &[u8], perms: Perms) -> io::Result<()> {
    replace_at_with(dir, name, data, perms, true)
}

/// Replace `name` in the directory `dir` with `data`; atomic either way, synced to disk only
/// with `durable` (a build's outputs need atomicity, not an fsync per file).
pub fn replace_at_with(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    data: &[u8],
    perms: Perms,
    durable: bool,
) -> io::Result<()> {
    if durable {
        // A one-off write (a config file, a certificate): what a killed run of it left goes.
        remove_stale(dir, Some(name));
    }
    let tmp = Temp::create(dir, name, perms)?;
    let result = (|| {
        let mut f = tmp.file()?;
        f.write_all(data)?;
        if durable {
            f.sync_all()?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => tmp.commit(durable),
        Err(e) => {
            tmp.discard();
            Err(e)
        }
    }
}

/// A temporary file made next to its target, not yet renamed into place. Dropping it without
/// [`Temp::commit`] removes it.
#[derive(Debug)]
pub struct Temp {
    dir: OwnedFd,
    name: OsString,
    target: OsString,
    file: Option<File>,
}

impl Temp {
    /// Create the temporary for `target` in `dir` with `perms` already set. (Stale temporaries
    /// are not looked for here: that reads the whole directory, once per file for a tree of
    /// modules. One-off writes clean up through [`replace_at_with`]; trees through their walk.)
    pub fn create(dir: BorrowedFd<'_>, target: &OsStr, perms: Perms) -> io::Result<Temp> {
        if target.is_empty() || target.as_bytes().contains(&b'/') {
            return Err(io::Error::other("not a file name"));
        }
        let mut last = None;
        for _ in 0..16 {
            let name = temp_name(target)?;
            match rustix::fs::openat(
                dir,
                &name,
                OFlags::WRONLY
                    | OFlags::CREATE
                    | OFlags::EXCL
                    | OFlags::NOFOLLOW
                    | OFlags::NOCTTY
                    | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            ) {
                Ok(fd) => {
                    let tmp = Temp {
                        dir: rustix::io::fcntl_dupfd_cloexec(dir, 3)?,
                        name,
                        target: target.to_os_string(),
                        file: Some(File::from(fd)),
                    };
                    let f = tmp.file.as_ref().expect("just set");
                    if let Some((uid, gid)) = perms.owner {
                        // Root keeps a module's owner; an unprivileged user re-signing their own
                        // file cannot (and need not) chown.
                        if uid != rustix::process::geteuid().as_raw()
                            || gid != rustix::process::getegid().as_raw()
                        {
                            let _ = rustix::fs::fchown(
                                f,
                                Some(rustix::process::Uid::from_raw(uid)),
                                Some(rustix::process::Gid::from_raw(gid)),
                            );
                        }
                    }
                    // After fchown, which clears setuid/setgid bits; the mode never has them.
                    rustix::fs::fchmod(f, Mode::from_raw_mode(perms.mode & 0o1777))?;
                    return Ok(tmp);
                }
                // A name planted in advance (or a one-in-2^64 collision): draw another.
                Err(rustix::io::Errno::EXIST) => {
                    last = Some(io::Error::other("temporary names taken"))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no temporary name")))
    }

    /// The open temporary file, to write into.
    pub fn file(&self) -> io::Result<&File> {
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("temporary closed"))
    }

    /// Rename the temporary over its target; with `sync_dir`, fsync the directory too.
    pub fn commit(mut self, sync_dir: bool) -> io::Result<()> {
        self.file = None;
        let renamed = rustix::fs::renameat(&self.dir, &self.name, &self.dir, &self.target);
        if let Err(e) = renamed {
            let _ = rustix::fs::unlinkat(&self.dir, &self.name, AtFlags::empty());
            self.name.clear();
            return Err(match e {
                rustix::io::Errno::ISDIR => io::Error::other("exists and is a directory"),
                e => e.into(),
            });
        }
        self.name.clear();
        if sync_dir {
            rustix::fs::fsync(&self.dir)?;
        }
        Ok(())
    }

    /// Remove the temporary.
    pub fn discard(self) {}
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.name.is_empty() {
            let _ = rustix::fs::unlinkat(&self.dir, &self.name, AtFlags::empty());
        }
    }
}

fn temp_name(target: &OsStr) -> io::Result<OsString> {
    let mut token = [0u8; 8];
    let mut filled = 0;
    while filled < token.len() {
        filled +=
            rustix::rand::getrandom(&mut token[filled..], rustix::rand::GetRandomFlags::empty())?;
    }
    let mut name = b".".to_vec();
    name.extend_from_slice(target.as_bytes());
    name.extend_from_slice(TMP_MARK.as_bytes());
    name.extend_from_slice(std::process::id().to_string().as_bytes());
    name.push(b'.');
    for b in token {
        name.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    Ok(OsString::from_vec(name))
}

/// If `name` is a kharden temporary (`.<target>.kharden-tmp.<pid>.<16 hex>`), its pid.
pub fn temp_pid(name: &[u8]) -> Option<u32> {
    if name.first() != Some(&b'.') {
        return None;
    }
    let mark = TMP_MARK.as_bytes();
    let at = name.windows(mark.len()).rposition(|w| w == mark)?;
    if at < 2 {
        return None;
    }
    let tail = std::str::from_utf8(&name[at + mark.len()..]).ok()?;
    let (pid, token) = tail.split_once('.')?;
    if token.len() != 16
        || !token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Remove what a killed kharden run left in `dir` (temporaries of `target`, or of any target
/// when `None`): only regular files owned by the caller whose process is gone. Returns how many
/// were removed.
pub fn remove_stale(dir: BorrowedFd<'_>, target: Option<&OsStr>) -> usize {
    let Ok(fd) = rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return 0;
    };
    let Ok(entries) = rustix::fs::Dir::new(fd) else {
        return 0;
    };
    let prefix = target.map(|t| {
        let mut p = b".".to_vec();
        p.extend_from_slice(t.as_bytes());
        p.extend_from_slice(TMP_MARK.as_bytes());
        p
    });
    let me = std::process::id();
    let euid = rustix::process::geteuid().as_raw();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_bytes();
        if prefix.as_ref().is_some_and(|p| !name.starts_with(p)) {
            continue;
        }
        let Some(pid) = temp_pid(name) else { continue };
        if pid == me || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let name = OsStr::from_bytes(name);
        let Ok(st) = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        let regular =
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile;
        if regular && st.st_uid == euid && rustix::fs::unlinkat(dir, name, AtFlags::empty()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn dirfd(p: &Path) -> OwnedFd {
        open_parent(&p.join("x")).unwrap()
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed_others_kept() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("99-kharden.conf");
        let tok = "0123456789abcdef";
        // pid 0 is never a process; our own pid is alive; another target's file is not ours;
        // a name without a token is not a kharden temporary.
        let dead = d
            .path()
            .join(format!(".99-kharden.conf.kharden-tmp.0.{tok}"));
        let live = d.path().join(format!(
            ".99-kharden.conf.kharden-tmp.{}.{tok}",
            std::process::id()
        ));
        let other = d.path().join(format!(".kharden.cfg.kharden-tmp.0.{tok}"));
        let foreign = d.path().join(".99-kharden.conf.kharden-tmp.final");
        for f in [&dead, &live, &other, &foreign] {
            std::fs::write(f, b"half").unwrap();
        }
        replace(&p, b"kernel.kptr_restrict = 1\n", Perms::mode(0o644)).unwrap();
        assert!(!dead.exists(), "a dead process's temporary stays");
        assert!(other.exists(), "another target's temporary was removed");
        assert!(live.exists(), "a live process's temporary was removed");
        assert!(foreign.exists(), "a file without a token was removed");
        assert_eq!(std::fs::read(&p).unwrap(), b"kernel.kptr_restrict = 1\n");
    }

    #[test]
    fn the_mode_is_decided_not_copied_and_links_are_replaced() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.conf");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o4777)).unwrap();
        replace(&p, b"new\n", Perms::mode(0o644)).unwrap();
        let m = std::fs::metadata(&p).unwrap();
        assert_eq!(m.permissions().mode() & 0o7777, 0o644);
        assert_eq!(m.uid(), rustix::process::geteuid().as_raw());
        // A symlink at the target is replaced, its target untouched.
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let link = d.path().join("link.conf");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        replace(&link, b"new\n", Perms::mode(0o644)).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
        // Nothing left behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 3);
    }

    #[test]
    fn kept_permissions_drop_setuid_and_group_other_write() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.ko");
        std::fs::write(&p, b"x").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o6777)).unwrap();
        let st = rustix::fs::stat(&p).unwrap();
        let perms = Perms::kept_from(&st);
        assert_eq!(perms.mode, 0o755);
        let fd = dirfd(d.path());
        replace_at(fd.as_fd(), OsStr::new("m.ko"), b"y", perms).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o755
        );
    }

    #[test]
    fn planted_temporary_names_cannot_make_a_run_fail() {
        // Names are unpredictable; even a directory full of plausible names is skipped.
        let d = tempfile::tempdir().unwrap();
        for i in 0..64 {
            std::fs::write(
                d.path()
                    .join(format!(".t.kharden-tmp.{}.{i:016x}", std::process::id())),
                b"",
            )
            .unwrap();
        }
        replace(&d.path().join("t"), b"ok", Perms::mode(0o644)).unwrap();
        assert_eq!(std::fs::read(d.path().join("t")).unwrap(), b"ok");
    }

    #[test]
    fn temporary_names_parse_only_with_pid_and_token() {
        assert_eq!(temp_pid(b".a.ko.kharden-tmp.12.0123456789abcdef"), Some(12));
        assert_eq!(temp_pid(b".a.ko.kharden-tmp.12"), None);
        assert_eq!(temp_pid(b".thesis.kharden-tmp.final"), None);
        assert_eq!(temp_pid(b"a.ko.kharden-tmp.12.0123456789abcdef"), None);
        assert_eq!(temp_pid(b".a.ko.kharden-tmp.x.0123456789abcdef"), None);
    }

    #[test]
    fn missing_directory_is_an_error_and_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("nodir/f.conf");
        assert!(replace(&p, b"x", Perms::mode(0o644)).is_err());
        assert!(!d.path().join("nodir").exists());
    }
}
