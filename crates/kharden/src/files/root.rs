//! Every file kharden reads or writes on an audited system goes through a `Root`: `/` on a live
//! host, or a snapshot tree (a guest's root, an unpacked capture) with the same relative paths.
//!
//! A root other than the host is hostile: another user may own it and change it while kharden
//! reads it. So nothing here resolves a path and then opens it again by name. The root is held
//! as a directory descriptor and every path is opened relative to it in one step, with the
//! kernel keeping the walk inside: `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)` (Linux
//! 5.6+), where an absolute symlink or a `..` is re-anchored at the root, as a chroot would.
//! Where the kernel has no `openat2`, a walk does the same component by component, each opened
//! with `O_NOFOLLOW` relative to its parent's descriptor. The type and size of what is read are
//! checked with `fstat` on the descriptor that is then read.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags, ResolveFlags};

pub use super::MAX_FILE_BYTES;

/// Symbolic links followed in one resolution before giving up (the kernel's own limit).
const MAX_LINKS: usize = 40;

#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
    /// The root directory, opened once; `Err` keeps why it could not be (every access then
    /// fails with that error).
    fd: Result<Arc<OwnedFd>, i32>,
    /// A snapshot archive read into memory (`dir` is then the archive's path): files are
    /// served from it, nothing can be opened or written.
    mem: Option<Arc<super::archive::MemTree>>,
}

impl Root {
    /// Open `dir` as a root. A root that cannot be opened is not an error here: every read
    /// under it reports why (a snapshot that lacks a file and one that lacks everything are
    /// both reported per fact).
    pub fn new(dir: impl Into<PathBuf>) -> Root {
        let dir = dir.into();
        let fd = rustix::fs::open(
            &dir,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map(Arc::new)
        .map_err(|e| e.raw_os_error());
        Root { dir, fd, mem: None }
    }

    /// A root served from a snapshot archive's files in memory; `archive` names it in messages.
    pub fn in_memory(archive: impl Into<PathBuf>, tree: super::archive::MemTree) -> Root {
        Root {
            dir: archive.into(),
            fd: Err(rustix::io::Errno::NOTDIR.raw_os_error()),
            mem: Some(Arc::new(tree)),
        }
    }

    /// `--root PATH`: a directory, or a snapshot archive (a regular file) read into memory.
    /// An archive that cannot be read or used is an input error naming it.
    pub fn open_any(path: &Path) -> Result<Root, super::InputError> {
        if !is_archive(path) {
            return Ok(Root::new(path));
        }
        let raw = read_regular(path, super::archive::MAX_ARCHIVE_BYTES)
            .map_err(|e| super::InputError::io(path, &e))?;
        let tree = super::archive::MemTree::from_archive(&raw)
            .map_err(|e| super::InputError::new(path, e.to_string()))?;
        Ok(Root::in_memory(path, tree))
    }

    /// The snapshot archive's files, when this root is one.
    pub fn archive(&self) -> Option<&super::archive::MemTree> {
        self.mem.as_deref()
    }

    /// Whether the root can be read at all: a directory, or an archive.
    pub fn is_usable(&self) -> bool {
        self.mem.is_some() || self.dir.is_dir()
    }

    pub fn is_host(&self) -> bool {
        self.mem.is_none() && self.dir == Path::new("/")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How a path is shown to the user: absolute as on the audited system.
    pub fn display(rel: &str) -> String {
        format!("/{}", rel.trim_start_matches('/'))
    }

    fn root_fd(&self) -> io::Result<BorrowedFd<'_>> {
        match &self.fd {
            Ok(fd) => Ok(fd.as_fd()),
            Err(code) => Err(io::Error::from_raw_os_error(*code)),
        }
    }

    /// Open `rel` inside the root with `flags` (symbolic links followed, but never out of the
    /// root; `/proc/*/fd`-style magic links refused).
    pub fn open(&self, rel: &str, flags: OFlags) -> io::Result<OwnedFd> {
        if let Some(mem) = &self.mem {
            // Files are read with read_*; what an archive lacks is not found, as under a tree
            // that lacks it.
            return Err(if mem.exists(rel) {
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    "a snapshot archive is read only",
                )
            } else {
                io::ErrorKind::NotFound.into()
            });
        }
        open_in_root(self.root_fd()?, rel, flags | OFlags::CLOEXEC, Walk::InRoot)
    }

    /// Open the directory `rel` inside the root, readable (for listing, `*at` calls, fsync).
    pub fn open_dir(&self, rel: &str) -> io::Result<OwnedFd> {
        self.open(rel, OFlags::RDONLY | OFlags::DIRECTORY)
    }

    /// Read a regular file, at most `limit` bytes (one more byte means "too large").
    pub fn read_limited(&self, rel: &str, limit: u64) -> io::Result<Vec<u8>> {
        if let Some(mem) = &self.mem {
            return mem.read(rel, limit);
        }
        let fd = self.open(rel, read_flags())?;
        read_fd(File::from(fd), limit)
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
    pub fn open_prefix(&self, rel: &str, len: u64) -> io::Result<io::Take<Box<dyn Read>>> {
        if let Some(mem) = &self.mem {
            let data = mem.read(rel, u64::MAX)?;
            let reader: Box<dyn Read> = Box::new(io::Cursor::new(data));
            return Ok(reader.take(len));
        }
        let file = File::from(self.open(rel, read_flags())?);
        check_regular(&file)?;
        let reader: Box<dyn Read> = Box::new(file);
        Ok(reader.take(len))
    }

    /// Whether anything (a dangling symbolic link too) is at `rel`.
    pub fn exists(&self, rel: &str) -> bool {
        if let Some(mem) = &self.mem {
            return mem.exists(rel);
        }
        self.open(rel, OFlags::PATH | OFlags::NOFOLLOW).is_ok()
    }

    pub fn is_dir_nonempty(&self, rel: &str) -> bool {
        if let Some(mem) = &self.mem {
            return mem.dir_nonempty(rel);
        }
        let Ok(fd) = self.open_dir(rel) else {
            return false;
        };
        let Ok(dir) = rustix::fs::Dir::new(fd) else {
            return false;
        };
        dir.flatten()
            .any(|e| !matches!(e.file_name().to_bytes(), b"." | b".."))
    }

    /// The names in the directory `rel` (without `.` and `..`), unsorted.
    pub fn list_dir(&self, rel: &str) -> io::Result<Vec<std::ffi::OsString>> {
        if let Some(mem) = &self.mem {
            return mem
                .list(rel)
                .map(|v| v.into_iter().map(Into::into).collect());
        }
        let dir = rustix::fs::Dir::new(self.open_dir(rel)?)?;
        let mut names = Vec::new();
        for entry in dir {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(OsStr::from_bytes(name).to_os_string());
            }
        }
        Ok(names)
    }

    /// The target of the symbolic link `name` in the directory `dir` (opened once, then
    /// listed or read many times: `/proc/PID/fd`), read with `readlinkat` and never followed: a
    /// `/proc/PID/fd/N` target is a name for a person, not a path to open.
    pub fn read_link_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Vec<u8>> {
        Ok(rustix::fs::readlinkat(dir, name, Vec::new())?.into_bytes())
    }

    /// Write `value` (and a newline) to an existing file under the root: a `/proc/sys` or
    /// `/sys` value. Only a regular file is written; on an ordinary file system (a snapshot
    /// tree) it must have one link and is truncated first, as a shell's `>` would.
    pub fn write_value(&self, rel: &str, value: &str) -> io::Result<()> {
        let fd = self.open(rel, OFlags::WRONLY | OFlags::NOCTTY | OFlags::NONBLOCK)?;
        let mut file = File::from(fd);
        let st = rustix::fs::fstat(&file)?;
        if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
            return Err(io::Error::other("not a regular file"));
        }
        if !is_kernel_fs(&file) {
            if st.st_nlink > 1 {
                return Err(io::Error::other(
                    "has other hard links: not written through them",
                ));
            }
            file.set_len(0)?;
        }
        io::Write::write_all(&mut file, format!("{value}\n").as_bytes())
    }

    /// Replace the file `rel` atomically with `data`, mode `mode`, owned by the caller (see
    /// [`super::write`]); its directory must exist under the root.
    pub fn replace_file(&self, rel: &str, data: &[u8], mode: u32) -> io::Result<()> {
        let (parent, name) = split_parent(rel)?;
        let dir = self.open_dir(parent)?;
        super::write::replace_at(dir.as_fd(), name, data, super::write::Perms::mode(mode))
    }
}

/// `rel` as its parent directory and final name; a path that names no file is refused.
fn split_parent(rel: &str) -> io::Result<(&str, &OsStr)> {
    let rel = rel.trim_end_matches('/');
    let (parent, name) = match rel.rfind('/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => ("", rel),
    };
    if name.is_empty() || name == "." || name == ".." {
        return Err(io::Error::other("no file name"));
    }
    Ok((
        if parent.is_empty() { "/" } else { parent },
        OsStr::new(name),
    ))
}

/// Flags for opening a file to read: never blocks on a FIFO, never becomes a controlling
/// terminal; the type is checked on the descriptor before anything is read.
/// Whether `--root PATH` names a snapshot archive (written by `kharden snapshot`): a regular
/// file (a directory is a tree) whose name ends in `.tar.zst`.
pub fn is_archive(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".tar.zst")
        && std::fs::metadata(path).is_ok_and(|m| !m.is_dir())
}

pub fn read_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC
}

/// procfs, sysfs and securityfs files are the kernel's values, written in place.
fn is_kernel_fs(file: &File) -> bool {
    const PROC: i64 = 0x9fa0;
    const SYSFS: i64 = 0x6265_6572;
    const SECURITYFS: i64 = 0x7363_6673;
    // f_type is i64 on 64-bit targets and narrower elsewhere.
    #[allow(clippy::unnecessary_cast)]
    rustix::fs::fstatfs(file).is_ok_and(|s| matches!(s.f_type as i64, PROC | SYSFS | SECURITYFS))
}

/// How a path is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Symbolic links are followed, re-anchored at the root; `..` stops at the root.
    InRoot,
    /// No symbolic link anywhere in the path (a module tree: a link is never a module), and
    /// no `..` out of the starting directory.
    NoLinks,
}

/// Whether `openat2` works here: 0 not tried, 1 yes, 2 no (kernel older than 5.6 or a seccomp
/// filter that refuses it).
static OPENAT2: AtomicU8 = AtomicU8::new(0);

/// Open `rel` under the directory `root` (see [`Walk`]).
pub fn open_in_root(
    root: BorrowedFd<'_>,
    rel: &str,
    flags: OFlags,
    walk: Walk,
) -> io::Result<OwnedFd> {
    let rel = rel.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    if OPENAT2.load(Ordering::Relaxed) != 2 {
        let resolve = match walk {
            Walk::InRoot => ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
            Walk::NoLinks => ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
        };
        // EAGAIN: a concurrent rename while `..` was resolved; the kernel asks for a retry.
        for _ in 0..16 {
            match rustix::fs::openat2(root, rel, flags, Mode::empty(), resolve) {
                Err(rustix::io::Errno::AGAIN) => continue,
                Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM)
                    if OPENAT2.load(Ordering::Relaxed) == 0 =>
                {
                    // EPERM here is a seccomp filter (openat2 itself has no EPERM case
                    // before it resolves anything): fall back for the rest of the run.
                    OPENAT2.store(2, Ordering::Relaxed);
                    break;
                }
                other => {
                    OPENAT2.store(1, Ordering::Relaxed);
                    return other.map_err(io::Error::from);
                }
            }
        }
        if OPENAT2.load(Ordering::Relaxed) != 2 {
            return Err(io::Error::from(rustix::io::Errno::AGAIN));
        }
    }
    walk_open(root, rel, flags, walk)
}

/// The `openat2`-less resolution: one component at a time, each opened `O_PATH | O_NOFOLLOW`
/// relative to the descriptor of its parent, symbolic links read from their own descriptor
/// and their targets walked from the root (absolute) or the current directory (relative).
pub fn walk_open(
    root: BorrowedFd<'_>,
    rel: &str,
    flags: OFlags,
    walk: Walk,
) -> io::Result<OwnedFd> {
    // Directories entered so far, below the root; empty = at the root.
    let mut stack: Vec<OwnedFd> = Vec::new();
    // Components still to walk, last first.
    let mut todo: Vec<Vec<u8>> = components(rel.as_bytes());
    let mut links = 0;
    let eloop = || io::Error::from(rustix::io::Errno::LOOP);
    while let Some(name) = todo.pop() {
        let cur = stack.last().map_or(root, |fd| fd.as_fd());
        match name.as_slice() {
            b"." => continue,
            b".." => {
                if stack.pop().is_none() && walk == Walk::NoLinks {
                    return Err(io::Error::from(rustix::io::Errno::XDEV));
                }
                continue;
            }
            _ => {}
        }
        let last = todo.is_empty();
        let name = OsStr::from_bytes(&name);
        let probe = rustix::fs::openat(
            cur,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let st = rustix::fs::fstat(&probe)?;
        let ft = rustix::fs::FileType::from_raw_mode(st.st_mode);
        if ft == rustix::fs::FileType::Symlink && !(last && flags.contains(OFlags::NOFOLLOW)) {
            if walk == Walk::NoLinks {
                return Err(eloop());
            }
            links += 1;
            if links > MAX_LINKS {
                return Err(eloop());
            }
            let target = rustix::fs::readlinkat(&probe, "", Vec::new())?;
            let target = target.as_bytes();
            if target.first() == Some(&b'/') {
                stack.clear();
            }
            todo.extend(components(target));
            continue;
        }
        if last {
            if flags.contains(OFlags::PATH) {
                return Ok(probe);
            }
            // Opened again by name in the same directory, without following: if the name was
            // swapped for a link meanwhile, this fails rather than leaving the root.
            return Ok(rustix::fs::openat(
                cur,
                name,
                flags | OFlags::NOFOLLOW,
                Mode::empty(),
            )?);
        }
        if ft != rustix::fs::FileType::Directory {
            return Err(io::Error::from(rustix::io::Errno::NOTDIR));
        }
        stack.push(probe);
    }
    // The path named the root itself (or walked back to it).
    let cur = stack.last().map_or(root, |fd| fd.as_fd());
    Ok(rustix::fs::openat(cur, ".", flags, Mode::empty())?)
}

/// Path components in reverse order (the next one last), empty ones dropped.
fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(<[u8]>::to_vec)
        .collect()
}

/// Open a file named by the user (`--config`, `--policy`, a certificate): the path is theirs,
/// symbolic links in it are followed; the type and size are checked on the descriptor read.
///
/// `-` is standard input (a pipe is fine: the user chose it), read to its end, at most `limit`
/// bytes; messages name it `<stdin>` ([`shown`]).
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    if is_stdin(path) {
        let mut buf = Vec::new();
        io::stdin().lock().take(limit + 1).read_to_end(&mut buf)?;
        if buf.len() as u64 > limit {
            return Err(too_large(limit));
        }
        return Ok(buf);
    }
    let fd = rustix::fs::open(path, read_flags(), Mode::empty())?;
    read_fd(File::from(fd), limit)
}

/// Whether a file the user named is `-`, standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A file the user named, as messages and reports show it: `<stdin>` for `-`, else the path
/// (not yet escaped for a terminal).
pub fn shown(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Refuse anything but a regular file (a FIFO would block, a device could be endless).
pub fn check_regular(file: &File) -> io::Result<rustix::fs::Stat> {
    let st = rustix::fs::fstat(file)?;
    match rustix::fs::FileType::from_raw_mode(st.st_mode) {
        rustix::fs::FileType::RegularFile => Ok(st),
        rustix::fs::FileType::Directory => Err(io::Error::other("is a directory")),
        _ => Err(io::Error::other("not a regular file")),
    }
}

/// Read a regular file from its descriptor, at most `limit` bytes.
pub fn read_fd(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let st = check_regular(&file)?;
    // Regular files report their size (/proc files report 0): read in one go when known.
    let size = u64::try_from(st.st_size).unwrap_or(0);
    if size > limit {
        return Err(too_large(limit));
    }
    let mut buf = Vec::with_capacity((size.min(limit) as usize).saturating_add(1));
    file.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(buf)
}

fn too_large(limit: u64) -> io::Error {
    io::Error::other(format!("file is larger than {}", human_size(limit)))
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
    match err.raw_os_error() {
        Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => {
            return "a symbolic link where none is allowed, or too many of them".to_string()
        }
        Some(code) if code == rustix::io::Errno::XDEV.raw_os_error() => {
            return "the path leads out of the tree".to_string()
        }
        _ => {}
    }
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

    fn both_walks(root: &Root, rel: &str) -> [io::Result<Vec<u8>>; 2] {
        let fd = root.root_fd().unwrap();
        let read = |r: io::Result<OwnedFd>| r.and_then(|fd| read_fd(File::from(fd), 1 << 20));
        [
            read(open_in_root(fd, rel, read_flags(), Walk::InRoot)),
            read(walk_open(fd, rel, read_flags(), Walk::InRoot)),
        ]
    }

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(dir.path().join("usr/src/hdr")).unwrap();
        std::fs::write(dir.path().join("usr/src/hdr/.config"), "CONFIG_A=y\n").unwrap();
        std::fs::create_dir_all(dir.path().join("lib/modules/6.1")).unwrap();
        std::os::unix::fs::symlink("/usr/src/hdr", dir.path().join("lib/modules/6.1/build"))
            .unwrap();
        for r in both_walks(&root, "/lib/modules/6.1/build/.config") {
            assert_eq!(r.unwrap(), b"CONFIG_A=y\n");
        }
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        for r in both_walks(&root, "loop/x") {
            assert!(r.is_err());
        }
    }

    #[test]
    fn links_and_dotdot_out_of_the_root_land_inside_it() {
        let outer = tempfile::tempdir().unwrap();
        std::fs::write(outer.path().join("secret"), "outside\n").unwrap();
        let tree = outer.path().join("tree");
        std::fs::create_dir_all(tree.join("etc")).unwrap();
        std::fs::write(tree.join("secret"), "inside\n").unwrap();
        std::os::unix::fs::symlink("../../secret", tree.join("etc/rel")).unwrap();
        std::os::unix::fs::symlink("/secret", tree.join("etc/abs")).unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret"), tree.join("etc/host")).unwrap();
        let root = Root::new(&tree);
        for rel in ["etc/rel", "etc/abs", "../secret", "etc/../../../secret"] {
            for r in both_walks(&root, rel) {
                assert_eq!(r.unwrap(), b"inside\n", "{rel}");
            }
        }
        // The host's absolute path is looked up inside the tree, where it does not exist.
        for r in both_walks(&root, "etc/host") {
            assert_eq!(r.unwrap_err().kind(), io::ErrorKind::NotFound);
        }
        // A walk that allows no links refuses them, and refuses `..` above its start.
        let fd = root.root_fd().unwrap();
        for f in [open_in_root, walk_open] {
            assert!(f(fd, "etc/rel", read_flags(), Walk::NoLinks).is_err());
            assert!(f(fd, "../secret", read_flags(), Walk::NoLinks).is_err());
            assert!(f(fd, "secret", read_flags(), Walk::NoLinks).is_ok());
        }
    }

    /// Both resolutions, 300+ times each, while another thread exchanges a file in the tree
    /// with a link out of it (absolute and relative): nothing outside is ever read.
    #[test]
    fn neither_walk_leaves_the_root_while_the_tree_changes() {
        use std::sync::atomic::{AtomicBool, AtomicU64};
        let outer = tempfile::tempdir().unwrap();
        std::fs::write(outer.path().join("secret"), "outside\n").unwrap();
        let tree = outer.path().join("tree");
        std::fs::create_dir_all(tree.join("a/b")).unwrap();
        std::fs::write(tree.join("a/b/f"), "inside\n").unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret"), tree.join("a/b/abs")).unwrap();
        std::os::unix::fs::symlink("../../../secret", tree.join("a/b/rel")).unwrap();
        // A directory on the path swapped with a link too. (Its own subtree, so that no
        // swapper's rename goes through the link and carries the outside file into the tree.)
        std::fs::create_dir_all(tree.join("c/b")).unwrap();
        std::fs::write(tree.join("c/b/f"), "inside\n").unwrap();
        std::fs::create_dir_all(outer.path().join("od/b")).unwrap();
        std::fs::write(outer.path().join("od/b/f"), "outside\n").unwrap();
        std::os::unix::fs::symlink(outer.path().join("od"), tree.join("dlink")).unwrap();
        let root = Root::new(&tree);
        let stop = AtomicBool::new(false);
        let swaps = AtomicU64::new(0);
        std::thread::scope(|s| {
            for (x, y) in [("a/b/f", "a/b/abs"), ("a/b/abs", "a/b/rel"), ("c", "dlink")] {
                let (x, y) = (tree.join(x), tree.join(y));
                let (stop, swaps) = (&stop, &swaps);
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if rustix::fs::renameat_with(
                            rustix::fs::CWD,
                            &x,
                            rustix::fs::CWD,
                            &y,
                            rustix::fs::RenameFlags::EXCHANGE,
                        )
                        .is_ok()
                        {
                            swaps.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
            // Stop the swappers however the loop ends (a failed assertion included).
            struct Stop<'a>(&'a AtomicBool);
            impl Drop for Stop<'_> {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::Relaxed);
                }
            }
            let _stop = Stop(&stop);
            for _ in 0..400 {
                for rel in ["a/b/f", "a/b/abs", "a/b/rel", "c/b/f", "dlink/b/f"] {
                    let [inroot, walked] = both_walks(&root, rel);
                    for (how, r) in [("openat2", inroot), ("walk", walked)] {
                        if let Ok(r) = r {
                            assert_ne!(r, b"outside\n", "{rel} was read outside the root ({how})");
                        }
                    }
                }
            }
        });
        assert!(swaps.load(Ordering::Relaxed) >= 300);
    }

    #[test]
    fn refuses_directories_fifos_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), vec![b'a'; 100]).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("fifo"),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let root = Root::new(dir.path());
        assert!(root.read_limited("f", 99).is_err());
        assert_eq!(root.read_limited("f", 100).unwrap().len(), 100);
        assert_eq!(root.read("").unwrap_err().to_string(), "is a directory");
        assert_eq!(
            root.read("fifo").unwrap_err().to_string(),
            "not a regular file"
        );
        assert!(root.exists("fifo") && !root.exists("nothing"));
        assert!(root.is_dir_nonempty("/") && !root.is_dir_nonempty("f"));
    }

    #[test]
    fn a_missing_root_fails_every_read_with_its_reason() {
        let root = Root::new("/nonexistent/kharden-root");
        assert_eq!(
            root.read("etc/x").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(!root.exists("etc"));
    }

    #[test]
    fn write_value_refuses_hard_links_and_non_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("v"), "0\n").unwrap();
        std::fs::hard_link(dir.path().join("v"), dir.path().join("w")).unwrap();
        std::fs::write(dir.path().join("u"), "00000\n").unwrap();
        let root = Root::new(dir.path());
        assert!(root.write_value("v", "1").is_err());
        assert_eq!(std::fs::read(dir.path().join("v")).unwrap(), b"0\n");
        root.write_value("u", "1").unwrap();
        assert_eq!(std::fs::read(dir.path().join("u")).unwrap(), b"1\n");
        assert!(root.write_value("/", "1").is_err());
    }
}
