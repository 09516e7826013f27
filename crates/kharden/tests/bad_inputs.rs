//! Hostile and broken inputs across every command, as one table: each case must end with exit
//! status 2 (or, for `modsign verify`/`inspect`, which judge file by file, a per-file verdict),
//! one line on stderr that names the input, nothing on stdout, no panic, no hang and no partial
//! output file. The cases of `audit_cli.rs::bad_input_is_one_clear_line_and_exit_2` are not
//! repeated here.

mod common;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fixtures, pipe};

/// No case may take longer: a FIFO or a device read without a check would block or run forever.
const HANG: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Exit 2, stdout empty, exactly one stderr line containing the needle.
    Refused,
    /// A clap usage error: exit 2, stdout empty, the first stderr line names the flag. Clap adds
    /// its usage block after that line, which kharden does not control.
    Usage,
    /// Policy problems: by design one line per problem (`file:line:col: ...`) then a summary;
    /// exit 2, stdout empty, every line an error, the first naming the file.
    Listed,
    /// A per-file verdict: exit 1, stdout names the file with the needle, stderr empty.
    PerFile,
}

struct Case {
    name: &'static str,
    args: Vec<OsString>,
    needle: String,
    expect: Expect,
    /// A directory that must not gain any file (no partial output).
    out_dir: Option<PathBuf>,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[OsString]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kharden"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kharden");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kharden {args:?} hung for {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn os(s: impl AsRef<OsStr>) -> OsString {
    s.as_ref().to_os_string()
}

fn lossy(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn is_root() -> bool {
    // SAFETY-free check: /proc/self/status Uid line, first field is the real uid.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn xz(data: &[u8]) -> Vec<u8> {
    pipe("xz", &["-c"], data)
}

fn zstd(data: &[u8]) -> Vec<u8> {
    pipe("zstd", &["-q", "-c"], data)
}

struct Env {
    _dir: tempfile::TempDir,
    d: PathBuf,
}

impl Env {
    fn p(&self, name: &str) -> PathBuf {
        self.d.join(name)
    }
    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.p(name);
        std::fs::write(&p, data).unwrap();
        p
    }
}

fn cases(env: &Env, root_user: bool) -> Vec<Case> {
    let fx = fixtures();
    let mx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../modsig/tests/fixtures");
    let cloud = fx.join("configs/debian12-6.1-cloud-amd64.config.xz");
    let arm = fx.join("configs/debian12-6.1-arm64.config.xz");
    let key = mx.join("rsa4096_signing_key.pem");
    let cert = mx.join("rsa4096_cert.pem");
    let unsigned = mx.join("crc7.unsigned.ko");
    let signed = mx.join("crc7.rsa4096.sha256.ko");

    let empty = env.file("empty", b"");
    let png = env.file("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01");
    let latin1 = env.file("latin1", b"Gr\xfc\xdfe aus M\xfcnchen\n\xff\xfe\n");
    let cfg_text = b"CONFIG_X86_64=y\nCONFIG_MODULES=y\n".repeat(500);
    let mut zst = zstd(&cfg_text);
    zst.truncate(zst.len() / 2);
    let trunc_zst = env.file("truncated.config.zst", &zst);
    let raw_mod = std::fs::read(&signed).unwrap();
    let trunc_mod = env.file("truncated.ko", &raw_mod[..raw_mod.len() - 20]);
    let trunc_xz_mod = {
        let mut x = xz(&raw_mod);
        x.truncate(x.len() - 30);
        env.file("truncated.ko.xz", &x)
    };
    let bad_toml = env.file("bad.toml", b"[rule\nid = ");
    let unknown_key = env.file("unknown.toml", b"frobnicate = true\n");
    let nonutf8_name = env.d.join(OsStr::from_bytes(b"config-\xff\xfe"));
    let nonutf8_dir = env.d.join(OsStr::from_bytes(b"dir-\xff"));
    std::fs::create_dir(&nonutf8_dir).unwrap();
    // verify walks directories: a non-module in a directory with a non-UTF-8 name.
    std::fs::write(nonutf8_dir.join("x.ko"), b"\x89PNG\r\n").unwrap();
    let dangling = env.p("dangling");
    std::os::unix::fs::symlink(env.p("nowhere"), &dangling).unwrap();
    let loop_link = env.p("loop");
    std::os::unix::fs::symlink(&loop_link, &loop_link).unwrap();
    let fifo = env.p("fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(st.success());
    let locked = env.file("locked.config", &cfg_text);
    let locked_ko = env.file("locked.ko", &raw_mod);
    for p in [&locked, &locked_ko] {
        std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    }
    let a_file = env.file("plain-file", b"x");
    let outdir = env.p("out");
    std::fs::create_dir(&outdir).unwrap();
    // A big cmdline: the kernel's own limit is COMMAND_LINE_SIZE (at most 4 KiB on x86).
    let sparse = env.p("sparse-100MiB");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let nul_sysctl = env.file("nul.sysctl", b"kernel.kptr_restrict = 2\n\0\0\0\n");

    let audit = |flag: &str, p: &Path| -> Vec<OsString> {
        let mut v = vec![os("audit"), os("--no-live"), os("--config"), os(&cloud)];
        if flag == "--config" {
            v.truncate(2);
        }
        v.push(os(flag));
        v.push(os(p));
        v
    };
    let fix = |p: &Path| -> Vec<OsString> {
        vec![
            os("fix"),
            os("--no-live"),
            os("--config"),
            os(p),
            os("--out"),
            os(&outdir),
        ]
    };
    let sign = |k: &Path, m: &Path, dest: &Path| -> Vec<OsString> {
        vec![
            os("modsign"),
            os("sign"),
            os("--key"),
            os(k),
            os("--cert"),
            os(&cert),
            os(m),
            os(dest),
        ]
    };
    let verify = |m: &Path| -> Vec<OsString> {
        vec![os("modsign"), os("verify"), os("--cert"), os(&cert), os(m)]
    };
    let dest = env.p("signed-out.ko");

    let mut c = vec![
        // --- audit: each input flag against each kind of broken file
        case(
            "audit cmdline directory",
            audit("--cmdline", &env.d),
            &lossy(&env.d),
        ),
        case(
            "audit cmdline /dev/zero",
            audit("--cmdline", Path::new("/dev/zero")),
            "/dev/zero",
        ),
        case(
            "audit cmdline fifo",
            audit("--cmdline", &fifo),
            &lossy(&fifo),
        ),
        case(
            "audit cmdline dangling symlink",
            audit("--cmdline", &dangling),
            &lossy(&dangling),
        ),
        case(
            "audit sysctl empty",
            audit("--sysctl", &empty),
            &lossy(&empty),
        ),
        case("audit sysctl fifo", audit("--sysctl", &fifo), &lossy(&fifo)),
        case(
            "audit sysctl /dev/zero",
            audit("--sysctl", Path::new("/dev/zero")),
            "/dev/zero",
        ),
        case(
            "audit sysctl directory",
            audit("--sysctl", &env.d),
            &lossy(&env.d),
        ),
        case(
            "audit sysctl NUL bytes",
            audit("--sysctl", &nul_sysctl),
            &lossy(&nul_sysctl),
        ),
        case(
            "audit sysctl non-UTF-8",
            audit("--sysctl", &latin1),
            &lossy(&latin1),
        ),
        case("audit config fifo", audit("--config", &fifo), &lossy(&fifo)),
        case(
            "audit config /dev/zero",
            audit("--config", Path::new("/dev/zero")),
            "/dev/zero",
        ),
        case(
            "audit config symlink loop",
            audit("--config", &loop_link),
            &lossy(&loop_link),
        ),
        case(
            "audit config truncated zstd",
            audit("--config", &trunc_zst),
            &lossy(&trunc_zst),
        ),
        case("audit config PNG", audit("--config", &png), &lossy(&png)),
        case(
            "audit config non-UTF-8 content",
            audit("--config", &latin1),
            &lossy(&latin1),
        ),
        case(
            "audit config non-UTF-8 name",
            audit("--config", &nonutf8_name),
            &lossy(&nonutf8_name),
        ),
        listed(
            "audit policy bad TOML",
            audit("--policy", &bad_toml),
            &lossy(&bad_toml),
        ),
        listed(
            "audit policy unknown key",
            audit("--policy", &unknown_key),
            &lossy(&unknown_key),
        ),
        case(
            "audit policy directory",
            audit("--policy", &env.d),
            &lossy(&env.d),
        ),
        case("audit policy PNG", audit("--policy", &png), &lossy(&png)),
        case(
            "audit root dangling symlink",
            vec![os("audit"), os("--root"), os(&dangling)],
            &lossy(&dangling),
        ),
        case(
            "audit root fifo",
            vec![os("audit"), os("--root"), os(&fifo)],
            &lossy(&fifo),
        ),
        usage(
            "audit unknown format",
            vec![os("audit"), os("--format"), os("yaml")],
            "yaml",
        ),
        usage(
            "audit flag given twice",
            vec![
                os("audit"),
                os("--config"),
                os(&cloud),
                os("--config"),
                os(&arm),
            ],
            "--config",
        ),
        // --- rules / explain
        case(
            "rules unknown profile",
            vec![os("rules"), os("--profile"), os("x")],
            "\"x\"",
        ),
        case(
            "explain unknown rule",
            vec![os("explain"), os("NO-SUCH-RULE")],
            "NO-SUCH-RULE",
        ),
        // --- fix: refusals leave --out untouched
        out(
            case("fix config empty", fix(&empty), &lossy(&empty)),
            &outdir,
        ),
        out(case("fix config fifo", fix(&fifo), &lossy(&fifo)), &outdir),
        out(
            case("fix config directory", fix(&env.d), &lossy(&env.d)),
            &outdir,
        ),
        out(
            case(
                "fix config /dev/null",
                fix(Path::new("/dev/null")),
                "/dev/null",
            ),
            &outdir,
        ),
        out(case("fix config PNG", fix(&png), &lossy(&png)), &outdir),
        out(
            case("fix config dangling", fix(&dangling), &lossy(&dangling)),
            &outdir,
        ),
        case(
            "fix out is a file",
            vec![
                os("fix"),
                os("--no-live"),
                os("--config"),
                os(&cloud),
                os("--out"),
                os(&a_file),
            ],
            &lossy(&a_file),
        ),
        case(
            "fix out under /dev/null",
            vec![
                os("fix"),
                os("--no-live"),
                os("--config"),
                os(&cloud),
                os("--out"),
                os("/dev/null/sub"),
            ],
            "/dev/null/sub",
        ),
        case(
            "fix out in a missing directory",
            vec![
                os("fix"),
                os("--no-live"),
                os("--config"),
                os(&cloud),
                os("--out"),
                os(env.p("missing/dir")),
            ],
            "missing/dir",
        ),
        // --- diff
        case(
            "diff a missing",
            vec![os("diff"), os(env.p("nope")), os(&cloud)],
            "nope",
        ),
        case(
            "diff b PNG",
            vec![os("diff"), os(&cloud), os(&png)],
            &lossy(&png),
        ),
        case(
            "diff a fifo",
            vec![os("diff"), os(&fifo), os(&cloud)],
            &lossy(&fifo),
        ),
        // --- apply
        case(
            "apply root is a file",
            vec![os("apply"), os("--root"), os(&a_file)],
            &lossy(&a_file),
        ),
        case(
            "apply root dangling symlink",
            vec![os("apply"), os("--root"), os(&dangling)],
            &lossy(&dangling),
        ),
        // --- modsign sign
        case(
            "sign key empty",
            sign(&empty, &unsigned, &dest),
            &lossy(&empty),
        ),
        case(
            "sign key is a certificate",
            sign(&cert, &unsigned, &dest),
            &lossy(&cert),
        ),
        case(
            "sign key directory",
            sign(&env.d, &unsigned, &dest),
            &lossy(&env.d),
        ),
        case(
            "sign key /dev/zero",
            sign(Path::new("/dev/zero"), &unsigned, &dest),
            "/dev/zero",
        ),
        case(
            "sign module missing",
            sign(&key, &env.p("gone.ko"), &dest),
            "gone.ko",
        ),
        case("sign module PNG", sign(&key, &png, &dest), &lossy(&png)),
        case(
            "sign module truncated xz",
            sign(&key, &trunc_xz_mod, &dest),
            &lossy(&trunc_xz_mod),
        ),
        case(
            "sign dest in a missing directory",
            sign(&key, &unsigned, &env.p("no/such/dir/x.ko")),
            "x.ko",
        ),
        // --- modsign verify: setup errors refuse, module problems are per-file verdicts
        case(
            "verify without certificates, running kernel unknown",
            vec![
                os("modsign"),
                os("verify"),
                os("--root"),
                os("/nonexistent-root"),
                os(&signed),
            ],
            "/nonexistent-root/proc/sys/kernel/osrelease",
        ),
        case(
            "verify cert empty",
            vec![
                os("modsign"),
                os("verify"),
                os("--cert"),
                os(&empty),
                os(&signed),
            ],
            &lossy(&empty),
        ),
        case(
            "verify cert PNG",
            vec![
                os("modsign"),
                os("verify"),
                os("--cert"),
                os(&png),
                os(&signed),
            ],
            &lossy(&png),
        ),
        case(
            "verify kernel is a module",
            vec![
                os("modsign"),
                os("verify"),
                os("--kernel"),
                os(&unsigned),
                os(&signed),
            ],
            &lossy(&unsigned),
        ),
        case(
            "verify kernel /dev/zero",
            vec![
                os("modsign"),
                os("verify"),
                os("--kernel"),
                os("/dev/zero"),
                os(&signed),
            ],
            "/dev/zero",
        ),
        per_file("verify module empty", verify(&empty), &lossy(&empty)),
        per_file(
            "verify module truncated",
            verify(&trunc_mod),
            &lossy(&trunc_mod),
        ),
        per_file(
            "verify module truncated xz",
            verify(&trunc_xz_mod),
            &lossy(&trunc_xz_mod),
        ),
        per_file("verify module PNG", verify(&png), &lossy(&png)),
        per_file(
            "verify module directory",
            verify(&nonutf8_dir),
            &lossy(&nonutf8_dir),
        ),
        per_file(
            "verify module dangling",
            verify(&dangling),
            &lossy(&dangling),
        ),
        // --- modsign inspect / certs / sign-tree
        case(
            "certs kernel empty",
            vec![os("modsign"), os("certs"), os("--kernel"), os(&empty)],
            &lossy(&empty),
        ),
        case(
            "certs kernel arm64 config",
            vec![os("modsign"), os("certs"), os("--kernel"), os(&arm)],
            &lossy(&arm),
        ),
        out(
            case(
                "certs out is a file",
                vec![
                    os("modsign"),
                    os("certs"),
                    os("--kernel"),
                    os(&png),
                    os("--out"),
                    os(&outdir),
                ],
                &lossy(&png),
            ),
            &outdir,
        ),
        case(
            "sign-tree dir is a file",
            vec![
                os("modsign"),
                os("sign-tree"),
                os(&a_file),
                os("--cert-out"),
                os(env.p("tree.pem")),
            ],
            &lossy(&a_file),
        ),
        case(
            "sign-tree dir dangling",
            vec![
                os("modsign"),
                os("sign-tree"),
                os(&dangling),
                os("--cert-out"),
                os(env.p("tree.pem")),
            ],
            &lossy(&dangling),
        ),
        usage(
            "sign-tree unknown key type",
            vec![
                os("modsign"),
                os("sign-tree"),
                os(&env.d),
                os("--cert-out"),
                os(env.p("c.pem")),
                os("--key-type"),
                os("dsa"),
            ],
            "dsa",
        ),
        usage(
            "verify without modules",
            vec![os("modsign"), os("verify"), os("--cert"), os(&cert)],
            "required",
        ),
    ];
    if root_user {
        eprintln!(
            "note: running as root, which ignores file modes: the chmod 000 cases are skipped"
        );
    } else {
        c.push(case(
            "audit config unreadable",
            audit("--config", &locked),
            &lossy(&locked),
        ));
        c.push(case(
            "sign module unreadable",
            sign(&key, &locked_ko, &dest),
            &lossy(&locked_ko),
        ));
        c.push(per_file(
            "verify module unreadable",
            verify(&locked_ko),
            &lossy(&locked_ko),
        ));
    }
    c
}

fn case(name: &'static str, args: Vec<OsString>, needle: &str) -> Case {
    Case {
        name,
        args,
        needle: needle.to_string(),
        expect: Expect::Refused,
        out_dir: None,
    }
}

fn usage(name: &'static str, args: Vec<OsString>, needle: &str) -> Case {
    Case {
        expect: Expect::Usage,
        ..case(name, args, needle)
    }
}

fn listed(name: &'static str, args: Vec<OsString>, needle: &str) -> Case {
    Case {
        expect: Expect::Listed,
        ..case(name, args, needle)
    }
}

fn per_file(name: &'static str, args: Vec<OsString>, needle: &str) -> Case {
    Case {
        expect: Expect::PerFile,
        ..case(name, args, needle)
    }
}

fn out(mut c: Case, dir: &Path) -> Case {
    c.out_dir = Some(dir.to_path_buf());
    c
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_bad_input_is_refused_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        d: dir.path().to_path_buf(),
        _dir: dir,
    };
    let root_user = is_root();
    let table = cases(&env, root_user);
    assert!(table.len() >= 40, "only {} cases", table.len());
    let mut failures = Vec::new();
    for c in &table {
        let before = c.out_dir.as_deref().map(listing);
        let before_dir = listing(&env.d);
        let r = run(&c.args);
        let mut why = Vec::new();
        if r.stderr.contains("panicked") || r.code == 101 {
            why.push("panicked".to_string());
        }
        match c.expect {
            Expect::Refused => {
                if r.code != 2 {
                    why.push(format!("exit {} (want 2)", r.code));
                }
                if !r.stdout.is_empty() {
                    why.push("stdout not empty".into());
                }
                if r.stderr.lines().count() != 1 {
                    why.push(format!("{} stderr lines", r.stderr.lines().count()));
                }
                if !r.stderr.contains(&c.needle) {
                    why.push(format!("stderr does not name {:?}", c.needle));
                }
            }
            Expect::Listed => {
                if r.code != 2 {
                    why.push(format!("exit {} (want 2)", r.code));
                }
                if !r.stdout.is_empty() {
                    why.push("stdout not empty".into());
                }
                if !r.stderr.lines().all(|l| l.starts_with("kharden: error: ")) {
                    why.push("a stderr line is not an error".into());
                }
                let first = r.stderr.lines().next().unwrap_or("");
                if !first.contains(&format!("{}:1:", c.needle)) {
                    why.push(format!(
                        "first line {first:?} does not locate {:?}",
                        c.needle
                    ));
                }
            }
            Expect::Usage => {
                if r.code != 2 {
                    why.push(format!("exit {} (want 2)", r.code));
                }
                if !r.stdout.is_empty() {
                    why.push("stdout not empty".into());
                }
                let first = r.stderr.lines().next().unwrap_or("");
                if !first.starts_with("error:") || !first.contains(&c.needle) {
                    why.push(format!(
                        "first stderr line {first:?} does not name {:?}",
                        c.needle
                    ));
                }
            }
            Expect::PerFile => {
                if r.code != 1 && r.code != 2 {
                    why.push(format!("exit {} (want 1: a failed verdict)", r.code));
                }
                let all = format!("{}{}", r.stdout, r.stderr);
                if !all.contains(&c.needle) {
                    why.push(format!("output does not name {:?}", c.needle));
                }
            }
        }
        if let (Some(d), Some(b)) = (c.out_dir.as_deref(), before) {
            if listing(d) != b {
                why.push(format!("{} changed: {:?}", d.display(), listing(d)));
            }
        }
        // No temporary or partial file is left next to the inputs either.
        let after_dir = listing(&env.d);
        if after_dir != before_dir {
            why.push(format!("work dir changed: {before_dir:?} -> {after_dir:?}"));
        }
        if !why.is_empty() {
            failures.push(format!(
                "{}: {}\n    stdout: {:?}\n    stderr: {:?}",
                c.name,
                why.join("; "),
                r.stdout.chars().take(300).collect::<String>(),
                r.stderr.chars().take(300).collect::<String>()
            ));
        }
    }
    eprintln!("{} bad-input cases run", table.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

/// Known gaps, reported to the owners of the code (not part of this test's files): every
/// `modsign` reader opens its input with `File::open` before checking its type (cli/modsign.rs
/// `read_bounded`), so a FIFO blocks forever; `audit --policy` reads with
/// `std::fs::read_to_string` (cli/audit.rs `load_profile`), so a FIFO blocks and /dev/zero
/// grows without bound. Run with `--ignored` once they are fixed; then fold these cases into
/// the table above.
#[test]
fn fifo_and_device_inputs_of_modsign_and_policy_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../modsig/tests/fixtures");
    let cloud = fixtures().join("configs/debian12-6.1-cloud-amd64.config.xz");
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let key = mx.join("rsa4096_signing_key.pem");
    let cert = mx.join("rsa4096_cert.pem");
    let signed = mx.join("crc7.rsa4096.sha256.ko");
    let unsigned = mx.join("crc7.unsigned.ko");
    let dest = d.join("dest.ko");
    let table: Vec<(&str, Vec<OsString>)> = vec![
        (
            "audit policy fifo",
            vec![
                os("audit"),
                os("--no-live"),
                os("--config"),
                os(&cloud),
                os("--policy"),
                os(&fifo),
            ],
        ),
        (
            "audit policy /dev/zero",
            vec![
                os("audit"),
                os("--no-live"),
                os("--config"),
                os(&cloud),
                os("--policy"),
                os("/dev/zero"),
            ],
        ),
        (
            "sign key fifo",
            vec![
                os("modsign"),
                os("sign"),
                os("--key"),
                os(&fifo),
                os("--cert"),
                os(&cert),
                os(&unsigned),
                os(&dest),
            ],
        ),
        (
            "sign module fifo",
            vec![
                os("modsign"),
                os("sign"),
                os("--key"),
                os(&key),
                os(&fifo),
                os(&dest),
            ],
        ),
        (
            "verify cert fifo",
            vec![
                os("modsign"),
                os("verify"),
                os("--cert"),
                os(&fifo),
                os(&signed),
            ],
        ),
        (
            "verify module fifo",
            vec![
                os("modsign"),
                os("verify"),
                os("--cert"),
                os(&cert),
                os(&fifo),
            ],
        ),
        (
            "inspect fifo",
            vec![os("modsign"), os("inspect"), os(&fifo)],
        ),
        (
            "certs kernel fifo",
            vec![os("modsign"), os("certs"), os("--kernel"), os(&fifo)],
        ),
    ];
    for (name, args) in table {
        let r = run(&args);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(r.code == 1 || r.code == 2, "{name}: exit {}", r.code);
        assert!(
            all.contains("fifo") || all.contains("/dev/zero"),
            "{name}: {all}"
        );
    }
}
