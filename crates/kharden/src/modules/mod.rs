//! Module trees (`/lib/modules/REL`, a build's `modules_install` output, a directory a user
//! names): the one walk over them, the one way a module is opened and read, and the memory
//! budget its decompression stays within. Used by `modsign sign-tree`, `verify` and `apply`.
//!
//! A tree is hostile (a user may own it and change it while kharden runs as root): it is held
//! by descriptor, walked without following any symbolic link, and each module is opened
//! relative to the tree with no symbolic link allowed in its path (`openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or an `O_NOFOLLOW` walk), its type and size checked
//! on the descriptor that is read.

pub mod budget;
pub mod build;
pub mod pool;
pub mod sign;
pub mod verify;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

pub use budget::{Budget, Reservation};
pub use pool::Pool;

use crate::files::root::{check_regular, open_in_root, read_flags, Walk};

/// The names a module file has: plain, or compressed as `modules_install` leaves it.
pub const SUFFIXES: [&str; 4] = [".ko", ".ko.gz", ".ko.xz", ".ko.zst"];

/// Largest module file read (compressed or not): far above any real module (the largest in
/// Debian's trees are a few MiB), low enough that a hostile file cannot exhaust memory.
pub const FILE_LIMIT: u64 = 256 << 20;

/// Largest decompressed module.
pub const DECOMPRESSED_LIMIT: u64 = 512 << 20;

/// Decompression is first tried into a buffer of this size when the file does not declare its
/// own (smaller) size; only a module that needs more reserves the full limit.
const FIRST_TRY: u64 = 64 << 20;

pub fn is_module_name(name: &[u8]) -> bool {
    SUFFIXES.iter().any(|s| name.ends_with(s.as_bytes()))
}

/// A directory tree held by descriptor.
#[derive(Debug)]
pub struct Tree {
    path: PathBuf,
    fd: OwnedFd,
}

/// What a walk found: module paths relative to the tree, sorted, and the directories that
/// could not be listed.
#[derive(Debug, Default)]
pub struct Listing {
    pub modules: Vec<PathBuf>,
    pub errors: Vec<(PathBuf, io::Error)>,
    /// Temporaries of killed kharden runs removed (see `files::write`).
    pub stale_removed: usize,
}

impl Tree {
    /// Open the directory `path` (a path the user named: followed as given).
    pub fn open(path: &Path) -> io::Result<Tree> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Tree {
            path: path.to_path_buf(),
            fd,
        })
    }

    /// A directory inside a root (`/lib/modules/REL` of a snapshot), opened through the root.
    pub fn in_root(root: &crate::files::Root, rel: &str) -> io::Result<Tree> {
        Ok(Tree {
            path: root.dir().join(rel.trim_start_matches('/')),
            fd: root.open_dir(rel)?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Every module file under the tree, never following a symbolic link (so neither a link
    /// loop nor `/lib/modules/*/build` is entered). With `remove_stale`, temporaries that a
    /// killed kharden run of this user left are removed on the way.
    pub fn walk(&self, remove_stale: bool) -> Listing {
        let mut out = Listing::default();
        let mut stack: Vec<(PathBuf, OwnedFd)> = Vec::new();
        match dup_dir(self.fd()) {
            Ok(fd) => stack.push((PathBuf::new(), fd)),
            Err(e) => out.errors.push((self.path.clone(), e)),
        }
        while let Some((rel, fd)) = stack.pop() {
            if remove_stale {
                out.stale_removed += crate::files::write::remove_stale(fd.as_fd(), None);
            }
            let subdir_fd = match dup_dir(fd.as_fd()) {
                Ok(d) => d,
                Err(e) => {
                    out.errors.push((self.path.join(&rel), e));
                    continue;
                }
            };
            let dir = match rustix::fs::Dir::new(subdir_fd) {
                Ok(d) => d,
                Err(e) => {
                    out.errors.push((self.path.join(&rel), e.into()));
                    continue;
                }
            };
            for entry in dir {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        out.errors.push((self.path.join(&rel), e.into()));
                        break;
                    }
                };
                let name = entry.file_name().to_bytes();
                if matches!(name, b"." | b"..") {
                    continue;
                }
                let name = OsStr::from_bytes(name);
                let child = rel.join(name);
                // d_type may be unknown on some file systems: ask without following.
                let kind = match entry.file_type() {
                    rustix::fs::FileType::Unknown => {
                        match rustix::fs::statat(&fd, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW) {
                            Ok(st) => rustix::fs::FileType::from_raw_mode(st.st_mode),
                            Err(_) => continue,
                        }
                    }
                    k => k,
                };
                match kind {
                    rustix::fs::FileType::Directory => {
                        match rustix::fs::openat(
                            &fd,
                            name,
                            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                            Mode::empty(),
                        ) {
                            Ok(sub) => stack.push((child, sub)),
                            Err(e) => out.errors.push((self.path.join(&child), e.into())),
                        }
                    }
                    rustix::fs::FileType::RegularFile
                        if is_module_name(name.as_bytes())
                            && crate::files::write::temp_pid(name.as_bytes()).is_none() =>
                    {
                        out.modules.push(child)
                    }
                    _ => {}
                }
            }
        }
        out.modules.sort();
        out
    }

    /// Open the module at `rel` (relative to the tree; no symbolic link anywhere in it).
    pub fn open_module(&self, rel: &Path) -> io::Result<File> {
        let fd = open_in_root(
            self.fd(),
            &rel.to_string_lossy(),
            read_flags(),
            Walk::NoLinks,
        )?;
        Ok(File::from(fd))
    }

    /// The directory holding `rel`, for writing next to it.
    pub fn open_parent(&self, rel: &Path) -> io::Result<OwnedFd> {
        let parent = rel
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        open_in_root(
            self.fd(),
            &parent,
            OFlags::RDONLY | OFlags::DIRECTORY,
            Walk::NoLinks,
        )
    }
}

fn dup_dir(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        fd,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// A module read and decompressed, with the memory it holds reserved.
#[derive(Debug)]
pub struct Module<'b> {
    pub format: kdecomp::Format,
    /// The decompressed module (the file itself when it is not compressed).
    pub data: Vec<u8>,
    /// `fstat` of the descriptor read.
    pub stat: rustix::fs::Stat,
    pub reservation: Reservation<'b>,
}

/// Why a module could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("larger than kharden's limit of {} MiB", FILE_LIMIT >> 20)]
    FileTooLarge,
    #[error(transparent)]
    Decompress(#[from] kdecomp::Error),
}

/// Read the module open in `file` and decompress it, within `budget`. `copies` is how many more
/// buffers of the module's size the caller will make while it holds the result (signing makes
/// a signed copy and a recompressed one), reserved now too.
pub fn read_module<'b>(
    file: &File,
    budget: &'b Budget,
    copies: u64,
) -> Result<Module<'b>, ReadError> {
    let stat = check_regular(file)?;
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    if size > FILE_LIMIT {
        return Err(ReadError::FileTooLarge);
    }
    let mut reservation = budget.reserve(size.saturating_mul(1 + copies));
    let raw = read_all(file, size)?;
    let format = kdecomp::detect(&raw);
    if format == kdecomp::Format::Plain {
        // Reserved before reading; a file that grew meanwhile is held at what was read.
        return Ok(Module {
            format,
            data: raw,
            stat,
            reservation,
        });
    }
    // The largest output that fits the budget beside the file and the caller's copies.
    let limit = DECOMPRESSED_LIMIT.min(budget.total().saturating_sub(size) / (1 + copies));
    let declared = kdecomp::size_hint(&raw).filter(|&h| h > 0 && h <= limit);
    let first = declared.unwrap_or(FIRST_TRY).min(limit);
    let mut tries = vec![first];
    if first < limit {
        tries.push(limit);
    }
    let mut raw = Some(raw);
    let mut last = None;
    for cap in tries {
        let want = size.saturating_add(cap.saturating_mul(1 + copies));
        if !reservation.try_grow(want) {
            // Wait for room holding nothing (not even the bytes read), then read again.
            raw = None;
            drop(reservation);
            reservation = budget.reserve(want);
        }
        let bytes = match raw.take() {
            Some(r) => r,
            None => read_all(file, size)?,
        };
        match kdecomp::decompress(&bytes, cap) {
            Ok((format, data)) => {
                reservation
                    .shrink(size.saturating_add((data.len() as u64).saturating_mul(1 + copies)));
                return Ok(Module {
                    format,
                    data,
                    stat,
                    reservation,
                });
            }
            Err(e @ kdecomp::Error::TooLarge { .. }) => {
                last = Some(e);
                raw = Some(bytes);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or(ReadError::FileTooLarge, ReadError::from))
}

/// A module file the user named: followed as given, its type checked on the descriptor read.
pub fn read_named<'b>(
    path: &Path,
    budget: &'b Budget,
) -> Result<Module<'b>, crate::files::InputError> {
    let file = verify::Target::Named(path.to_path_buf())
        .open()
        .map_err(|e| crate::files::InputError::io(path, &e))?;
    read_module(&file, budget, 0).map_err(|e| crate::files::InputError::new(path, e.to_string()))
}

/// The file from its start, at most `size` bytes plus one to notice growth past the limit.
fn read_all(file: &File, size: u64) -> Result<Vec<u8>, ReadError> {
    let mut data = Vec::with_capacity(size as usize);
    let mut reader = ReadAt { file, pos: 0 }.take(size.clamp(1, FILE_LIMIT + 1));
    reader.read_to_end(&mut data)?;
    if data.len() as u64 > FILE_LIMIT {
        return Err(ReadError::FileTooLarge);
    }
    Ok(data)
}

/// Reads from an offset without moving the descriptor's own (it may be read again).
struct ReadAt<'f> {
    file: &'f File,
    pos: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_finds_modules_and_never_follows_links() {
        let d = tempfile::tempdir().unwrap();
        let t = d.path().join("tree");
        std::fs::create_dir_all(t.join("kernel/fs")).unwrap();
        std::fs::create_dir_all(d.path().join("outside")).unwrap();
        std::fs::write(d.path().join("outside/x.ko"), b"\x7fELF").unwrap();
        for f in [
            "a.ko",
            "kernel/fs/b.ko.xz",
            "kernel/fs/c.ko.zst",
            "kernel/fs/readme",
        ] {
            std::fs::write(t.join(f), b"\x7fELF").unwrap();
        }
        std::os::unix::fs::symlink(d.path().join("outside"), t.join("build")).unwrap();
        std::os::unix::fs::symlink(d.path().join("outside/x.ko"), t.join("link.ko")).unwrap();
        std::fs::write(t.join(".a.ko.kharden-tmp.1.0123456789abcdef"), b"").unwrap();
        let tree = Tree::open(&t).unwrap();
        let l = tree.walk(false);
        assert_eq!(
            l.modules,
            ["a.ko", "kernel/fs/b.ko.xz", "kernel/fs/c.ko.zst"].map(PathBuf::from)
        );
        assert!(tree.open_module(Path::new("link.ko")).is_err());
        assert!(tree.open_module(Path::new("build/x.ko")).is_err());
    }

    #[test]
    fn bombs_are_refused_within_the_budget() {
        let bomb = kdecomp::compress(kdecomp::Format::Zstd, &vec![0u8; 80 << 20]).unwrap();
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b.ko.zst"), &bomb).unwrap();
        let budget = Budget::new(64 << 20);
        let f = File::open(d.path().join("b.ko.zst")).unwrap();
        // Declared 80 MiB: more than the budget holds beside the file, so it is refused.
        let r = read_module(&f, &budget, 0);
        assert!(
            matches!(
                r,
                Err(ReadError::Decompress(kdecomp::Error::TooLarge { .. }))
            ),
            "{r:?}"
        );
        assert!(budget.peak() <= 64 << 20);
        // A small module fits.
        let small = kdecomp::compress(kdecomp::Format::Zstd, &vec![7u8; 1 << 20]).unwrap();
        std::fs::write(d.path().join("s.ko.zst"), &small).unwrap();
        let f = File::open(d.path().join("s.ko.zst")).unwrap();
        let m = read_module(&f, &budget, 0).unwrap();
        assert_eq!(m.data.len(), 1 << 20);
        assert_eq!(m.reservation.bytes(), small.len() as u64 + (1 << 20));
    }
}
