//! Families read from the kernel log: BPF programs that use `bpf_probe_write_user`.
//!
//! Nothing in `/proc` or `/sys` says which helpers a loaded BPF program calls. The kernel says
//! it once, when such a program is loaded: `bpf_get_probe_write_proto` (kernel/trace/bpf_trace.c,
//! the same text from 4.8 to 6.x) logs `COMM[PID] is installing a program with
//! bpf_probe_write_user helper that may corrupt user memory!`, rate limited, with a
//! `bpf_get_probe_write_proto: N callbacks suppressed` line for the loads it did not name.
//! Lockdown `integrity` refuses the helper (LOCKDOWN_BPF_WRITE_USER): the verifier no longer
//! knows it and the program is not loaded.
//!
//! The log is `/dev/kmsg`: on the live host the device, read record by record without
//! blocking; under a tree or archive a regular file of the same records (a device node in a
//! tree would be the host's log, not the tree's, and is refused). A snapshot keeps of it only
//! the first record and the ones read here ([`snapshot_records`]).

use std::io;
use std::os::fd::OwnedFd;

use super::{not_captured, Host, Look};
use crate::files::root::{io_reason, read_fd, read_flags, Root};

const KMSG: &str = "/dev/kmsg";
/// Most bytes of log read (the kernel's buffer is at most a few MiB).
const MAX_LOG_BYTES: u64 = 32 << 20;
const WRITE_USER: &str =
    " is installing a program with bpf_probe_write_user helper that may corrupt user memory!";
const SUPPRESSED: &str = "bpf_get_probe_write_proto: ";

/// One record of `/dev/kmsg`: `PRIO,SEQ,USEC,FLAGS[,...];MESSAGE`.
#[derive(Debug, PartialEq, Eq)]
struct Record<'a> {
    seq: u64,
    usec: u64,
    msg: &'a str,
}

fn record(line: &str) -> Option<Record<'_>> {
    let (head, msg) = line.split_once(';')?;
    let mut f = head.split(',');
    let _prio: u32 = f.next()?.parse().ok()?;
    let seq = f.next()?.parse().ok()?;
    let usec = f.next()?.parse().ok()?;
    Some(Record { seq, usec, msg })
}

/// Read the device: each `read` returns one record; `EAGAIN` is the end, `EPIPE` a record
/// overwritten while it was read (the next read goes on with the oldest one left).
fn read_device(fd: OwnedFd) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 << 10];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if !out.ends_with(b"\n") {
                    out.push(b'\n');
                }
                if out.len() as u64 > MAX_LOG_BYTES {
                    return Err(io::Error::other("more log than kharden reads"));
                }
            }
            Err(rustix::io::Errno::AGAIN) => break,
            Err(rustix::io::Errno::PIPE | rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// The kernel log's records as text: the live host's device, or a tree's regular file.
fn read_log(root: &Root) -> io::Result<Vec<u8>> {
    if !root.is_host() {
        return root.read_limited(KMSG, MAX_LOG_BYTES);
    }
    let fd = root.open(KMSG, read_flags())?;
    let st = rustix::fs::fstat(&fd)?;
    match rustix::fs::FileType::from_raw_mode(st.st_mode) {
        rustix::fs::FileType::CharacterDevice => read_device(fd),
        _ => read_fd(std::fs::File::from(fd), MAX_LOG_BYTES),
    }
}

/// Programs using `bpf_probe_write_user`, named by the process that loaded them (from the
/// kernel log); whether that process still runs is said.
pub fn bpf_write_user(host: &Host<'_>) -> Look {
    let root = host.root;
    let mut look = Look::default();
    let raw = match read_log(root) {
        Ok(raw) => raw,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Look::unknown(
                not_captured(root, KMSG).unwrap_or_else(|| format!("{KMSG}: not found")),
            )
        }
        Err(e) => {
            return Look::unknown(format!(
                "{KMSG}: {}: the kernel log is the only place that names programs using bpf_probe_write_user",
                io_reason(&e)
            ))
        }
    };
    let text = String::from_utf8_lossy(&raw);
    let mut first = None;
    let mut records = 0usize;
    for r in text.lines().filter_map(record) {
        records += 1;
        first.get_or_insert((r.seq, r.usec));
        if let Some(who) = r.msg.strip_suffix(WRITE_USER) {
            look.found(loader(root, who, r.usec));
        } else if let Some(n) = r
            .msg
            .strip_prefix(SUPPRESSED)
            .and_then(|m| m.strip_suffix(" callbacks suppressed"))
        {
            look.found(format!(
                "{n} more load(s) of such programs, not named (the kernel's rate limit: \"{}\")",
                r.msg
            ));
        }
    }
    look.examined(format!(
        "the kernel log ({KMSG}, {records} record(s) read) for loads of programs using bpf_probe_write_user"
    ));
    if let Some((seq, usec)) = first.filter(|(seq, _)| *seq > 0) {
        look.unknown.push(format!(
            "the kernel log starts at record {seq} ({}): the records before it were overwritten, so programs loaded earlier are not seen",
            seconds(usec)
        ));
    }
    look
}

/// What a snapshot keeps of the kernel log (`kharden snapshot`): the first record (where the
/// log starts, so that a log that lost its oldest records is still said to) and the records
/// this probe reads; nothing else of the log leaves the host. `Ok(None)`: there is no log.
pub fn snapshot_records(root: &Root) -> Result<Option<Vec<u8>>, String> {
    let raw = match read_log(root) {
        Ok(raw) => raw,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_reason(&e)),
    };
    let text = String::from_utf8_lossy(&raw);
    let mut out = String::new();
    let mut first = true;
    for line in text.lines() {
        let Some(r) = record(line) else { continue };
        if std::mem::take(&mut first)
            || r.msg.ends_with(WRITE_USER)
            || r.msg.starts_with(SUPPRESSED)
        {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(Some(out.into_bytes()))
}

fn seconds(usec: u64) -> String {
    format!("{}.{:06} s after boot", usec / 1_000_000, usec % 1_000_000)
}

/// `COMM[PID]` as the warning names the loader, and whether that process still runs.
fn loader(root: &Root, who: &str, usec: u64) -> String {
    let parsed = who.rsplit_once('[').and_then(|(comm, pid)| {
        let pid: u32 = pid.strip_suffix(']')?.parse().ok()?;
        Some((comm, pid))
    });
    let Some((comm, pid)) = parsed else {
        return format!(
            "{who} loaded a BPF program that uses bpf_probe_write_user ({}, kernel log)",
            seconds(usec)
        );
    };
    let now = match root.read_text(&format!("/proc/{pid}/comm")) {
        Ok(c) if c == comm => "; it still runs",
        Ok(_) | Err(_) => {
            "; it no longer runs (it or its service would be refused the next time it loads one)"
        }
    };
    format!(
        "process {pid} ({comm}) loaded a BPF program that uses bpf_probe_write_user ({}, kernel log){now}",
        seconds(usec)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        assert_eq!(
            record("4,1234,5678901,-;tbhelper[77] is installing"),
            Some(Record {
                seq: 1234,
                usec: 5678901,
                msg: "tbhelper[77] is installing"
            })
        );
        assert_eq!(record("6,5,6,c,caller=T1;a;b").map(|r| r.msg), Some("a;b"));
        assert_eq!(record(" SUBSYSTEM=pci"), None);
        assert_eq!(record("x,1,2,-;m"), None);
        assert_eq!(seconds(12_000_345), "12.000345 s after boot");
    }
}
