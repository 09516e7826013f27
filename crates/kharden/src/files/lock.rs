//! An exclusive lock on a directory tree (`sign-tree`, and later `modsign build`), so that two
//! runs cannot sign one tree half with one key and half with another. The lock is `flock(2)` on
//! the tree's own directory descriptor: nothing is written into the tree, and the kernel drops
//! the lock when its holder exits, however it exits. The holder is named from `/proc/locks`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::FlockOperation;

/// Held until dropped.
#[derive(Debug)]
pub struct TreeLock {
    _fd: OwnedFd,
}

/// The tree is locked by someone else.
#[derive(Debug)]
pub struct Busy {
    /// The holder's pid and command name, when `/proc/locks` tells.
    pub holder: Option<(u32, String)>,
}

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.holder {
            Some((pid, comm)) => write!(f, "locked by another run ({comm}, pid {pid})"),
            None => write!(f, "locked by another run"),
        }
    }
}

/// Take the lock on the directory `dir` (a descriptor of it; it is duplicated), without
/// waiting.
pub fn lock_tree(dir: impl AsFd) -> io::Result<Result<TreeLock, Busy>> {
    // flock locks belong to the open file description: open the directory anew so that two
    // descriptors of one process do not share a lock by accident.
    let fd = rustix::fs::openat(
        dir,
        ".",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Ok(TreeLock { _fd: fd })),
        Err(rustix::io::Errno::WOULDBLOCK) => {
            let st = rustix::fs::fstat(&fd)?;
            Ok(Err(Busy {
                holder: holder(st.st_dev, st.st_ino),
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// The process holding a FLOCK on the inode, from `/proc/locks` lines such as
/// `1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF`.
fn holder(dev: u64, ino: u64) -> Option<(u32, String)> {
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let (major, minor) = (rustix::fs::major(dev), rustix::fs::minor(dev));
    let want = format!("{major:02x}:{minor:02x}:{ino}");
    for line in locks.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // Blocked waiters are listed as "1: -> FLOCK ...": skip them.
        if f.len() < 6 || f[1] != "FLOCK" {
            continue;
        }
        if f[5] != want {
            continue;
        }
        let pid: u32 = f[4].parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| crate::term::clean(c.trim()).into_owned())
            .unwrap_or_else(|_| "?".into());
        return Some((pid, comm));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder() {
        let d = tempfile::tempdir().unwrap();
        let dir = std::fs::File::open(d.path()).unwrap();
        let first = lock_tree(&dir).unwrap().expect("first lock");
        let busy = lock_tree(&dir).unwrap().expect_err("second lock must fail");
        let (pid, _) = busy.holder.expect("holder from /proc/locks");
        assert_eq!(pid, std::process::id());
        drop(first);
        assert!(lock_tree(&dir).unwrap().is_ok());
    }
}
