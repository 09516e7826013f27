//! Signing modules in place or into a new file, one at a time or a whole tree, with the key
//! already in memory (`modsig::Signer`). Files: read through a tree's or a directory's
//! descriptor, written as temporaries next to their destination and renamed into place
//! (crate::files::write), each module's memory within the command's budget.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use modsig::Signer;
use rustix::fs::{Mode, OFlags};

use super::{read_module, Budget, Pool, Tree};
use crate::files::root::read_flags;
use crate::files::write::{open_parent, Perms, Temp};
use crate::files::{io_reason, InputError};
use crate::report::term::clean;

/// What became of one module.
#[derive(Debug)]
pub enum Signed {
    Signed { bytes: u64, replaced: bool },
    Skipped(String),
    Failed(String),
}

/// A module signed into a temporary file next to its destination, waiting for its rename
/// (dropping it removes the temporary).
#[derive(Debug)]
pub enum Prepared {
    Ready {
        tmp: Temp,
        bytes: u64,
        replaced: bool,
    },
    Done(Signed),
}

/// Where a signed module goes.
#[derive(Debug, Clone, Copy)]
pub enum Dest<'a> {
    /// Replace the module in its directory: it keeps its owner and its permission bits,
    /// less setuid/setgid and write for group and others.
    InPlace {
        dir: BorrowedFd<'a>,
        name: &'a OsStr,
    },
    /// A new file the caller owns, mode 0644 (as sign-file and cp make it).
    New {
        dir: BorrowedFd<'a>,
        name: &'a OsStr,
    },
}

/// Before a private key enters memory: make the process non-dumpable (PR_SET_DUMPABLE 0), so no
/// core dump can write the key to disk and no other process of the same user can ptrace it or
/// read /proc/<pid>/mem. The key's own memory is zeroed when it is dropped (modsig). Failure
/// is not fatal: the kernel refuses this only in exotic setups, and signing still works.
pub fn guard_secrets() {
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

/// Sign one module open in `file` (shown as `shown`): decompress if needed, drop any existing
/// signature, sign, recompress in the same format, and write the result to a temporary file
/// next to the destination (fsynced only when `sync`). Nothing is replaced yet.
pub fn prepare(
    signer: &Signer,
    file: &File,
    shown: &str,
    dest: Dest<'_>,
    budget: &Budget,
    sync: bool,
) -> Prepared {
    let fail = |msg: String| Prepared::Done(Signed::Failed(msg));
    // The signed copy and the recompressed one are made while the module is held.
    let module = match read_module(file, budget, 2) {
        Ok(m) => m,
        Err(e) => return fail(format!("{shown}: {e}")),
    };
    let replaced = modsig::trailer::has_magic(&module.data);
    let body = match modsig::trailer::strip(&module.data) {
        Ok(b) => b,
        Err(e) => {
            return fail(format!(
                "{shown}: existing signature is broken ({e}); left unchanged"
            ))
        }
    };
    if !body.starts_with(b"\x7fELF") {
        return Prepared::Done(Signed::Skipped(format!("{shown}: not an ELF file")));
    }
    let signed = match signer.sign_module(body) {
        Ok(s) => s,
        Err(e) => return fail(format!("{shown}: {e}")),
    };
    let out = if module.format == kdecomp::Format::Plain {
        signed
    } else {
        match kdecomp::compress(module.format, &signed) {
            Ok(o) => o,
            Err(e) => return fail(format!("{shown}: {e}")),
        }
    };
    let (dir, name, perms) = match dest {
        Dest::InPlace { dir, name } => (dir, name, Perms::kept_from(&module.stat)),
        Dest::New { dir, name } => (dir, name, Perms::mode(0o644)),
    };
    drop(module);
    let written = Temp::create(dir, name, perms).and_then(|tmp| {
        let mut f = tmp.file()?;
        f.write_all(&out)?;
        if sync {
            f.sync_all()?;
        }
        Ok(tmp)
    });
    match written {
        Ok(tmp) => Prepared::Ready {
            tmp,
            bytes: out.len() as u64,
            replaced,
        },
        Err(e) => fail(format!("{shown}: writing: {e}")),
    }
}

/// Put a prepared module in place.
pub fn commit(p: Prepared, shown: &str, sync_dir: bool) -> Signed {
    match p {
        Prepared::Done(r) => r,
        Prepared::Ready {
            tmp,
            bytes,
            replaced,
        } => match tmp.commit(sync_dir) {
            Ok(()) => Signed::Signed { bytes, replaced },
            Err(e) => Signed::Failed(format!("replacing {shown}: {e}")),
        },
    }
}

/// Open `name` in the directory `dir` to read it as a module, never through a link.
fn open_in_dir(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<File> {
    Ok(File::from(rustix::fs::openat(
        dir,
        name,
        read_flags() | OFlags::NOFOLLOW,
        Mode::empty(),
    )?))
}

/// Sign the module `rel` of `tree` in place (prepared, not yet renamed).
pub fn prepare_in_tree(signer: &Signer, tree: &Tree, rel: &Path, budget: &Budget) -> Prepared {
    let shown = clean(&tree.path().join(rel).display().to_string()).into_owned();
    let fail = |e: io::Error| Prepared::Done(Signed::Failed(format!("{shown}: {}", io_reason(&e))));
    // The directory first, then the module by name in it without following a link: what is
    // read and where it is written back are one directory, whatever is renamed meanwhile.
    let dir = match tree.open_parent(rel) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let Some(name) = rel.file_name() else {
        return fail(io::Error::other("no file name"));
    };
    let file = match open_in_dir(dir.as_fd(), name) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    prepare(
        signer,
        &file,
        &shown,
        Dest::InPlace {
            dir: dir.as_fd(),
            name,
        },
        budget,
        false,
    )
}

/// Modules signed per batch: their temporary files are made durable with one syncfs(2) and
/// then renamed, instead of one fsync per module (which costs more than the signing), while
/// the extra disk space stays bounded.
const BATCH: usize = 256;

/// Sign every module `modules` of `tree` in place on `pool`, calling `tick` after each.
/// While the workers sign batch k+1, a thread makes batch k durable; batch k is renamed into
/// place only once its syncfs has returned. Results in the order of `modules`.
pub fn sign_tree(
    tree: &Tree,
    modules: &[PathBuf],
    signer: &Signer,
    pool: &Pool,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<Signed>, InputError> {
    let budget = Budget::default();
    let mut results = Vec::with_capacity(modules.len());
    let sync_err = |e: io::Error| InputError::new(tree.path(), format!("syncfs: {e}"));
    // (Dropping a prepared batch removes its temporaries.)
    type Pending<'m> = (
        std::thread::JoinHandle<io::Result<()>>,
        &'m [PathBuf],
        Vec<Prepared>,
    );
    let finish = |pending: Pending<'_>, results: &mut Vec<Signed>| -> Result<(), InputError> {
        let (handle, rels, prepared) = pending;
        handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("syncfs thread panicked")))
            .map_err(sync_err)?;
        results.extend(prepared.into_iter().zip(rels).map(|(p, rel)| {
            commit(
                p,
                &clean(&tree.path().join(rel).display().to_string()),
                false,
            )
        }));
        Ok(())
    };
    let mut pending: Option<Pending<'_>> = None;
    for batch in modules.chunks(BATCH) {
        let prepared = pool.map(batch, |rel| {
            let p = prepare_in_tree(signer, tree, rel, &budget);
            tick();
            p
        });
        if let Some(p) = pending.take() {
            finish(p, &mut results)?;
        }
        let fd = rustix::io::fcntl_dupfd_cloexec(tree.fd(), 3).map_err(|e| sync_err(e.into()))?;
        let handle = std::thread::spawn(move || rustix::fs::syncfs(&fd).map_err(io::Error::from));
        pending = Some((handle, batch, prepared));
    }
    if let Some(p) = pending.take() {
        finish(p, &mut results)?;
    }
    rustix::fs::syncfs(tree.fd()).map_err(|e| sync_err(e.into()))?;
    Ok(results)
}

/// The module a user named for `sign`, opened for signing: the directory it is in (as the user
/// named it) and the module itself by name without following a link. Signing through a link
/// would replace the link and leave the real module unsigned, or (with a DEST) read whatever
/// file the link's owner points it at: a link is refused, naming its target.
pub fn open_named(module: &Path) -> Result<(std::os::fd::OwnedFd, File), InputError> {
    let name = module
        .file_name()
        .ok_or_else(|| InputError::new(module, "names no file"))?;
    let dir = open_parent(module).map_err(|e| InputError::io(module, &e))?;
    match open_in_dir(dir.as_fd(), name) {
        Ok(f) => Ok((dir, f)),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            let target = std::fs::read_link(module)
                .map(|t| format!(" (to {})", clean(&t.display().to_string())))
                .unwrap_or_default();
            Err(InputError::new(
                module,
                format!("is a symbolic link{target}: give the module file itself"),
            ))
        }
        Err(e) => Err(InputError::io(module, &e)),
    }
}

/// `sign MODULE [DEST]`: sign in place, or into DEST (created as the caller), durably.
pub fn sign_file(
    signer: &Signer,
    module: &Path,
    opened: (std::os::fd::OwnedFd, File),
    dest: Option<&Path>,
) -> Signed {
    let shown = clean(&module.display().to_string()).into_owned();
    let budget = Budget::default();
    let (src_dir, file) = opened;
    let prepared = match dest {
        None => {
            let Some(name) = module.file_name() else {
                return Signed::Failed(format!("{shown}: names no file"));
            };
            prepare(
                signer,
                &file,
                &shown,
                Dest::InPlace {
                    dir: src_dir.as_fd(),
                    name,
                },
                &budget,
                true,
            )
        }
        Some(dest) => {
            let dest_shown = clean(&dest.display().to_string()).into_owned();
            let Some(name) = dest.file_name() else {
                return Signed::Failed(format!("{dest_shown}: names no file"));
            };
            let dir = match open_parent(dest) {
                Ok(d) => d,
                Err(e) => return Signed::Failed(format!("{dest_shown}: {}", io_reason(&e))),
            };
            prepare(
                signer,
                &file,
                &shown,
                Dest::New {
                    dir: dir.as_fd(),
                    name,
                },
                &budget,
                true,
            )
        }
    };
    let dest_shown = dest.map_or(shown.clone(), |d| {
        clean(&d.display().to_string()).into_owned()
    });
    commit(prepared, &dest_shown, true)
}
