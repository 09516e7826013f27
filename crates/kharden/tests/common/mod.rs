//! Helpers shared by the CLI tests: run the built binary hermetically, find fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The committed snapshot tree `name` (tests/fixtures/snapshots).
pub fn snapshot(name: &str) -> String {
    fixtures()
        .join("snapshots")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Debian 12's cloud kernel config (6.1, amd64), the fixture most tests audit.
pub fn cloud() -> String {
    fixtures()
        .join("configs/debian12-6.1-cloud-amd64.config.xz")
        .to_string_lossy()
        .into_owned()
}

/// `audit --config <cloud> --no-live` and `rest`: the arguments of most audits of the cloud
/// config.
pub fn cloud_audit<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    on_cloud("audit", rest)
}

/// `COMMAND --config <cloud> --no-live` and `rest`.
pub fn on_cloud<'a>(command: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    static CLOUD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let cloud: &'static str = CLOUD.get_or_init(cloud);
    let mut args = vec![command, "--config", cloud, "--no-live"];
    args.extend_from_slice(rest);
    args
}

/// Write `text` to `dir/name` (making its directories) and return the path as a string.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `kharden` with a clean environment (no colour, no user policy influence).
pub fn kharden<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    kharden_with(args, &[])
}

/// [`kharden`] with `env` added to the clean environment.
pub fn kharden_with<I, S>(args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_kharden"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run kharden");
    check_json(&out.stdout);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The committed JSON Schema (docs/schemas) of the document kind `id` (`kharden.audit/1`).
pub fn schema(id: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schemas")
        .join(format!("{}.schema.json", id.replace('/', "-")));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (a document of an unknown kind?)", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Why `doc` does not follow the schema its `schema` field names (empty when it does).
pub fn schema_errors(doc: &serde_json::Value) -> Vec<String> {
    let id = doc["schema"].as_str().expect("a schema string");
    let validator = jsonschema::validator_for(&schema(id)).expect("a valid JSON Schema");
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Every JSON document a test sees on kharden's stdout follows its published schema: a stdout
/// that is a JSON object with a `schema` string, or JSON lines of such objects, is validated,
/// whatever the test then checks.
pub fn check_json(stdout: &[u8]) {
    if !stdout.starts_with(b"{") {
        return;
    }
    let docs: Vec<serde_json::Value> = match serde_json::from_slice(stdout) {
        Ok(doc) => vec![doc],
        Err(_) => match stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(serde_json::from_slice)
            .collect()
        {
            Ok(lines) => lines,
            Err(_) => return,
        },
    };
    for doc in docs {
        if doc.get("schema").and_then(|s| s.as_str()).is_none() {
            continue;
        }
        let errors = schema_errors(&doc);
        assert!(
            errors.is_empty(),
            "{} does not follow its schema (docs/schemas):\n{}",
            doc["schema"],
            errors.join("\n")
        );
    }
}

pub fn json<I, S>(args: I) -> serde_json::Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let run = kharden(args);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout))
}

/// status of each finding, by rule id.
pub fn statuses(report: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub fn finding<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

/// All snapshot trees captured by the test bed.
pub fn snapshots() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join("snapshots"))
        .expect("snapshots dir")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("OBSERVED").exists())
        .collect();
    v.sort();
    v
}

/// key=value ground truth recorded by the test bed beside each snapshot.
pub fn observed(snapshot: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(snapshot.join("OBSERVED"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every committed real config (Debian, distributions, defconfigs).
pub fn configs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["configs", "configs/distros", "configs/defconfigs"] {
        for e in std::fs::read_dir(fixtures().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".config.xz") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// Debian's stock config with a fragment merged over it (later lines replace earlier ones),
/// written into `dir`.
pub fn merged_config(dir: &Path, base: &Path, fragment: &Path) -> PathBuf {
    let raw = std::fs::read(base).unwrap();
    let (_, text) = kdecomp::decompress(&raw, 64 << 20).unwrap();
    let text = String::from_utf8(text).unwrap();
    let frag = std::fs::read_to_string(fragment).unwrap();
    let name_of = |l: &str| -> Option<String> {
        let l = l.trim();
        let rest = l.strip_prefix("# ").unwrap_or(l).strip_prefix("CONFIG_")?;
        Some(rest.split(['=', ' ']).next()?.to_string())
    };
    let replaced: std::collections::BTreeSet<String> = frag.lines().filter_map(name_of).collect();
    let mut out: String = text
        .lines()
        .filter(|l| name_of(l).is_none_or(|n| !replaced.contains(&n)))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&frag);
    let path = dir.join(format!(
        "merged-{}.config",
        fragment.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::write(&path, out).unwrap();
    path
}

/// Run `prog args` with `data` on stdin and return its stdout (the real gzip/xz/zstd tools make
/// test inputs); the tool must succeed.
pub fn pipe(prog: &str, args: &[&str], data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let mut c = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{prog}: {e}"));
    let mut stdin = c.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = c.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{prog} failed");
    out.stdout
}

/// zstd frames of `len` zero bytes: a few KB on disk.
pub fn zstd_bomb(len: u64) -> Vec<u8> {
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    enc.set_pledged_src_size(Some(len)).unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        std::io::Write::write_all(&mut enc, &chunk[..n]).unwrap();
        left -= n as u64;
    }
    enc.finish().unwrap()
}

/// Run kharden (clean environment) and sample its VmHWM (peak resident memory) until it exits.
pub fn run_measured(args: &[&str]) -> (std::process::Output, u64) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_kharden"))
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut hwm = 0u64;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(s) = std::fs::read_to_string(&status) {
                if let Some(kb) = s
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    hwm = hwm.max(kb << 10);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        hwm
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    (out, sampler.join().unwrap())
}
