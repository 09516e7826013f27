//! `kharden modsign build`: the ephemeral-key kernel build, whole. A key is made in memory, its
//! certificate written for the kernel's build to embed, the user's unchanged build command run,
//! every module signature the build asks for served from memory, and the key destroyed when
//! the command ends.
//!
//! How a signature request reaches the key: the kernel's `scripts/Makefile.modinst` signs each
//! module with `$(call cmd,sign)`, that is with the make variable `cmd_sign`. kharden runs the
//! command with `cmd_sign` defined in `MAKEFLAGS`, which GNU make takes as a command-line
//! definition and hands down to every sub-make (also through `scripts/package/builddeb`), so
//! `cmd_sign` becomes `kharden-sign-request MODULE` (the small client installed beside
//! `kharden`, or `kharden modsign sign-request MODULE` without it): that client sends the module's
//! bytes over a Unix socket and appends the detached signature it gets back. The kernel's own
//! `sign-file` is never run, and there is no private key on disk for it to find.
//!
//! Who may ask: the socket lives in a directory only the caller can enter (mode 0700, a random
//! name under `$TMPDIR`); each connection's peer is checked with `SO_PEERCRED` (the caller's
//! uid, and a process whose parent chain leads to the command kharden started); when the command
//! exits the socket and its directory are removed and the key is dropped and zeroed, so nothing
//! that outlives the command can get a signature. docs/modsign.md says more.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use modsig::Signer;

use crate::files::InputError;

/// The environment variable that tells `sign-request` where the socket is.
pub const SOCKET_ENV: &str = "KHARDEN_SIGN_SOCKET";

/// Largest module a request may carry (far above any real module).
pub const REQUEST_LIMIT: u64 = 256 << 20;

const MAGIC: &[u8; 4] = b"KHS1";

/// A private directory with the listening socket, removed when dropped.
#[derive(Debug)]
pub struct Service {
    dir: PathBuf,
    socket: PathBuf,
    listener: Option<UnixListener>,
}

impl Service {
    /// Make the directory (mode 0700, random name under `$TMPDIR`) and listen in it.
    pub fn listen() -> io::Result<Service> {
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..16 {
            let mut token = [0u8; 8];
            rustix::rand::getrandom(&mut token, rustix::rand::GetRandomFlags::empty())?;
            let name: String = token.iter().map(|b| format!("{b:02x}")).collect();
            let dir = base.join(format!("kharden-build-{name}"));
            match rustix::fs::mkdir(&dir, rustix::fs::Mode::from_raw_mode(0o700)) {
                Ok(()) => {
                    // Whatever the umask, the directory is the caller's and nobody else's.
                    let st = rustix::fs::lstat(&dir)?;
                    if st.st_uid != rustix::process::geteuid().as_raw() || st.st_mode & 0o077 != 0 {
                        let _ = std::fs::remove_dir(&dir);
                        return Err(io::Error::other(
                            "the private socket directory is not private",
                        ));
                    }
                    let socket = dir.join("sign.sock");
                    let listener = UnixListener::bind(&socket)?;
                    return Ok(Service {
                        dir,
                        socket,
                        listener: Some(listener),
                    });
                }
                Err(rustix::io::Errno::EXIST) => last = Some(io::Error::other("names taken")),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no directory name")))
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Serve signature requests with `signer` until `stop` is set (then wake the acceptor with
    /// [`Service::wake`]). Only peers of the caller's uid whose parent chain reaches `root_pid`
    /// are served. Returns how many modules were signed and how many requests were refused.
    pub fn serve(&mut self, signer: &Signer, root_pid: u32, stop: &AtomicBool) -> (usize, usize) {
        let Some(listener) = self.listener.take() else {
            return (0, 0);
        };
        let signed = AtomicUsize::new(0);
        let refused = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (signed, refused) = (&signed, &refused);
                s.spawn(move || match answer(conn, signer, root_pid) {
                    Ok(true) => {
                        signed.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(false) | Err(_) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        (signed.into_inner(), refused.into_inner())
    }

    /// Unblock a [`Service::serve`] waiting in `accept` (after setting its stop flag).
    pub fn wake(socket: &Path) {
        let _ = UnixStream::connect(socket);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.listener = None;
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Whether `pid`'s chain of parents reaches `ancestor` (read from `/proc/PID/stat`).
pub fn descends_from(pid: u32, ancestor: u32) -> bool {
    let mut cur = pid;
    for _ in 0..4096 {
        if cur == ancestor {
            return true;
        }
        if cur <= 1 {
            return false;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{cur}/stat")) else {
            return false;
        };
        // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses; the last ')' ends it.
        let Some(ppid) = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
        else {
            return false;
        };
        cur = ppid;
    }
    false
}

/// Answer one connection: check the peer, read the module, send back its detached signature.
/// `Ok(true)` when a signature was sent.
fn answer(mut conn: UnixStream, signer: &Signer, root_pid: u32) -> io::Result<bool> {
    let peer = rustix::net::sockopt::socket_peercred(&conn)?;
    let pid = peer.pid.as_raw_nonzero().get() as u32;
    if peer.uid != rustix::process::geteuid() || !descends_from(pid, root_pid) {
        reply(&mut conn, Err("refused: not a process of this build"))?;
        drain(&mut conn);
        return Ok(false);
    }
    let mut head = [0u8; 12];
    conn.read_exact(&mut head)?;
    if &head[..4] != MAGIC {
        reply(&mut conn, Err("refused: not a kharden signature request"))?;
        drain(&mut conn);
        return Ok(false);
    }
    let len = u64::from_le_bytes(head[4..].try_into().expect("8 bytes"));
    if len > REQUEST_LIMIT {
        reply(
            &mut conn,
            Err("refused: module larger than the request limit"),
        )?;
        drain(&mut conn);
        return Ok(false);
    }
    let mut body = Vec::with_capacity(len as usize);
    (&mut conn).take(len).read_to_end(&mut body)?;
    if body.len() as u64 != len {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    match signer.sign_detached(&body) {
        Ok(cms) => {
            reply(&mut conn, Ok(&cms))?;
            Ok(true)
        }
        Err(e) => {
            reply(&mut conn, Err(&e.to_string()))?;
            Ok(false)
        }
    }
}

/// After a refusal: let the peer finish sending (a little, briefly) so that closing does not
/// reset the connection before it has read the answer.
fn drain(conn: &mut UnixStream) {
    let _ = conn.shutdown(std::net::Shutdown::Write);
    let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    let _ = io::copy(&mut conn.take(1 << 20), &mut io::sink());
}

fn reply(conn: &mut UnixStream, answer: Result<&[u8], &str>) -> io::Result<()> {
    let (status, payload) = match answer {
        Ok(b) => (0u8, b),
        Err(e) => (1u8, e.as_bytes()),
    };
    let mut msg = Vec::with_capacity(payload.len() + 9);
    msg.push(status);
    msg.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    msg.extend_from_slice(payload);
    conn.write_all(&msg)
}

/// The client side: ask the service at `socket` for the detached signature of `body`.
pub fn request(socket: &Path, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut conn = UnixStream::connect(socket)
        .map_err(|e| format!("cannot reach the signing service: {e}"))?;
    let mut msg = Vec::with_capacity(body.len() + 12);
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&(body.len() as u64).to_le_bytes());
    msg.extend_from_slice(body);
    conn.write_all(&msg)
        .and_then(|()| conn.shutdown(std::net::Shutdown::Write))
        .map_err(|e| format!("sending the module: {e}"))?;
    let mut head = [0u8; 9];
    conn.read_exact(&mut head)
        .map_err(|e| format!("the signing service did not answer: {e}"))?;
    let len = u64::from_le_bytes(head[1..].try_into().expect("8 bytes"));
    if len > 1 << 20 {
        return Err("the signing service's answer is too large".into());
    }
    let mut payload = Vec::with_capacity(len as usize);
    (&mut conn)
        .take(len)
        .read_to_end(&mut payload)
        .map_err(|e| format!("reading the signature: {e}"))?;
    match head[0] {
        0 => Ok(payload),
        _ => Err(crate::term::clean(&String::from_utf8_lossy(&payload)).into_owned()),
    }
}

/// Sign the module at `path` (plain ELF, as `Makefile.modinst` hands it over) through the
/// service named in the environment, replacing the file atomically.
pub fn sign_request(path: &Path) -> Result<(), InputError> {
    let socket = std::env::var_os(SOCKET_ENV).ok_or_else(|| {
        InputError::new(
            path,
            format!(
                "{SOCKET_ENV} is not set: sign-request runs only under `kharden modsign build`"
            ),
        )
    })?;
    let (dir, file) = super::sign::open_named(path)?;
    let budget = super::Budget::default();
    let module =
        super::read_module(&file, &budget, 1).map_err(|e| InputError::new(path, e.to_string()))?;
    if module.format != kdecomp::Format::Plain {
        return Err(InputError::new(
            path,
            "compressed: the build signs modules before compressing them",
        ));
    }
    let body = modsig::trailer::strip(&module.data)
        .map_err(|e| InputError::new(path, format!("existing signature is broken: {e}")))?;
    if !body.starts_with(b"\x7fELF") {
        return Err(InputError::new(path, "not an ELF module"));
    }
    let cms = request(Path::new(&socket), body).map_err(|e| InputError::new(path, e))?;
    let signed = modsig::trailer::append(body, &cms);
    let name = path.file_name().expect("open_named checked the name");
    let perms = crate::files::write::Perms::kept_from(&module.stat);
    // Atomic (make may be interrupted) but not fsynced: neither cp nor sign-file syncs a
    // build's output, and one fsync per module would cost more than the signature.
    crate::files::write::replace_at_with(
        std::os::fd::AsFd::as_fd(&dir),
        name,
        &signed,
        perms,
        false,
    )
    .map_err(|e| InputError::io(path, &e))
}

/// How the build went.
#[derive(Debug)]
pub struct Outcome {
    /// The command's exit status as a shell reports it (128 + N for a signal).
    pub status: i32,
    pub signed: usize,
    /// Connections refused (not of this build) or failed.
    pub refused: usize,
    pub seconds: f64,
}

/// Run `command` (program and arguments) with the signing service up, forwarding SIGINT,
/// SIGTERM and SIGHUP to it; return when it has exited and the service has stopped. The key in
/// `signer` is dropped (and zeroed) before this returns.
pub fn run(command: &[std::ffi::OsString], signer: Signer) -> Result<Outcome, InputError> {
    let start = std::time::Instant::now();
    let exe = std::env::current_exe().map_err(|e| InputError::io(Path::new("kharden"), &e))?;
    let client = client_command(&exe)?;
    let (program, args) = command
        .split_first()
        .ok_or_else(|| InputError::new(Path::new("COMMAND"), "no command given"))?;
    let mut service = Service::listen().map_err(|e| InputError::io(&std::env::temp_dir(), &e))?;
    let existing = std::env::var("MAKEFLAGS").ok();
    let mut child = std::process::Command::new(program)
        .args(args)
        .env(SOCKET_ENV, service.socket())
        .env("MAKEFLAGS", makeflags(existing.as_deref(), &client))
        .spawn()
        .map_err(|e| InputError::io(Path::new(program), &e))?;
    let child_pid = child.id();
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])
    .map_err(|e| InputError::io(Path::new("signals"), &e))?;
    let signals_handle = signals.handle();
    let stop = AtomicBool::new(false);
    let socket = service.socket().to_path_buf();
    let (status, (signed, refused)) = std::thread::scope(|s| {
        // Forward the build's signals to it; kharden itself waits for the command to end.
        s.spawn(move || {
            for sig in signals.forever() {
                if let (Some(pid), Some(sig)) = (
                    rustix::process::Pid::from_raw(child_pid as i32),
                    rustix::process::Signal::from_named_raw(sig),
                ) {
                    let _ = rustix::process::kill_process(pid, sig);
                }
            }
        });
        let serving = s.spawn(|| service.serve(&signer, child_pid, &stop));
        let status = child.wait();
        stop.store(true, Ordering::SeqCst);
        Service::wake(&socket);
        signals_handle.close();
        let counts = serving.join().unwrap_or((0, 0));
        (status, counts)
    });
    // The key goes now; the service's directory when `service` is dropped.
    drop(signer);
    drop(service);
    let status = status.map_err(|e| InputError::io(Path::new(program), &e))?;
    let status = match (
        status.code(),
        std::os::unix::process::ExitStatusExt::signal(&status),
    ) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    };
    Ok(Outcome {
        status,
        signed,
        refused,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Quote `exe` for a make variable defined in `MAKEFLAGS` and run by a shell: only paths of
/// plain characters are accepted.
pub fn make_word(exe: &Path) -> Option<String> {
    let s = exe.to_str()?;
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'+'))
        .then(|| s.to_string())
}

/// The name of the small client installed beside `kharden` (src/bin/kharden-sign-request.rs).
pub const CLIENT: &str = "kharden-sign-request";

/// The command make runs for each module, as words for `MAKEFLAGS` (a space inside a value is
/// escaped with a backslash there): the small client beside the running `kharden`, or
/// `kharden modsign sign-request` where it is not installed. Both do the same; the client
/// starts with about a third of the page faults (docs/modsign.md, "Signing cost").
pub fn client_command(exe: &Path) -> Result<String, InputError> {
    let plain = |p: &Path| {
        make_word(p).ok_or_else(|| {
            InputError::new(
                p,
                "this path cannot be handed to make (use plain characters)",
            )
        })
    };
    let beside = exe.with_file_name(CLIENT);
    if std::fs::metadata(&beside).is_ok_and(|m| m.is_file()) {
        return plain(&beside);
    }
    Ok(format!("{}\\ modsign\\ sign-request", plain(exe)?))
}

/// `MAKEFLAGS` for the build: what the caller had, plus `cmd_sign` running `client` (from
/// [`client_command`]) on the module being installed.
pub fn makeflags(existing: Option<&str>, client: &str) -> String {
    // In MAKEFLAGS `$` is doubled (make undoes it when it reads the variable; `$@` is then the
    // module being installed).
    let def = format!("cmd_sign={client}\\ $$@");
    match existing.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => format!("{e} {def}"),
        None => def,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_descendants_are_recognised() {
        let me = std::process::id();
        assert!(descends_from(me, me));
        assert!(descends_from(me, 1) || std::fs::metadata("/proc/1").is_err());
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        assert!(descends_from(child.id(), me));
        assert!(!descends_from(me, child.id()));
        child.kill().unwrap();
        let _ = child.wait();
    }

    #[test]
    fn the_client_beside_kharden_is_preferred() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("kharden");
        std::fs::write(&exe, b"").unwrap();
        assert_eq!(
            client_command(&exe).unwrap(),
            format!("{}\\ modsign\\ sign-request", exe.display())
        );
        std::fs::write(dir.path().join(CLIENT), b"").unwrap();
        assert_eq!(
            client_command(&exe).unwrap(),
            dir.path().join(CLIENT).display().to_string()
        );
        assert!(client_command(Path::new("/tmp/a b/kharden")).is_err());
    }

    #[test]
    fn makeflags_keep_what_was_there() {
        assert_eq!(
            makeflags(None, "/usr/bin/kharden-sign-request"),
            "cmd_sign=/usr/bin/kharden-sign-request\\ $$@"
        );
        assert!(makeflags(Some(" -j2 "), "/k").starts_with("-j2 cmd_sign=/k\\ "));
        assert!(make_word(Path::new("/usr/bin/kharden")).is_some());
        assert!(make_word(Path::new("/tmp/a b/kharden")).is_none());
        assert!(make_word(Path::new("/tmp/$(x)/kharden")).is_none());
    }
}
