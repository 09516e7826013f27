//! The docs cannot drift: every `kharden ...` command shown in a fenced code block of README.md
//! or docs/*.md runs here against the committed fixtures, and every output sample shown under a
//! `$ kharden ...` line is compared with the real output.
//!
//! What a block may hold, and what this test does with it:
//! - `$ kharden ARGS`, then the lines up to the next `$ ` line or the end of the block: a command
//!   and its output sample. The sample must equal stdout followed by stderr, line for line
//!   (trailing spaces and trailing blank lines aside); a line `...` stands for any number of
//!   lines. The exit status must be 0 or 1, or 2 when the sample shows a `kharden: error:` line.
//! - `kharden ARGS  # comment` (no `$`, in a block without `$` lines): a command without a
//!   sample. It must exit 0 or 1 with no error on stderr.
//! - `kharden SUB [--flag X] FILE...` (a line with `[` or `...`, continued on indented lines
//!   starting with `[`): a synopsis. Every `--flag` it names must be in `kharden SUB --help`.
//!
//! The commands of one code block run in order in one fresh working directory (a temporary
//! directory, shared by the block as a shell session would be: a file one command writes, the
//! next may read), in which the names the docs use are the committed fixtures ([`WORKDIR`]):
//! the commands run exactly as written,
//! with one substitution ([`LIVE`]): a command that would read the live host (an `audit`,
//! `fix` or `apply` without `--root` or `--config`) gets `--root live`, a copy of a snapshot tree
//! of Debian's cloud kernel booted under QEMU. Commands that cannot run in a test are listed in
//! [`NOT_RUN`] with the reason; a listed command that no document shows any more fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixtures;

/// The names the docs use for their inputs, and the fixture each is made from in the working
/// directory (a file copied as is: kharden reads compressed configs by their content).
const WORKDIR: &[(&str, Input)] = &[
    (
        ".config",
        Input::File("configs/debian12-6.1-cloud-amd64.config.xz"),
    ),
    (
        "config-6.1-cloud-amd64",
        Input::File("configs/debian12-6.1-cloud-amd64.config.xz"),
    ),
    (
        "config-6.1-cloud-amd64-kharden",
        Input::FixedConfig("configs/debian12-6.1-cloud-amd64.config.xz"),
    ),
    (
        "old.config",
        Input::File("configs/debian12-6.1-cloud-amd64.config.xz"),
    ),
    (
        "new.config",
        Input::File("configs/debian12-6.12-cloud-amd64.config.xz"),
    ),
    ("snapshot", Input::Tree("snapshots/deb12-6.1-cloud-default")),
    ("root", Input::Tree("snapshots/deb12-6.1-cloud-default")),
    ("live", Input::Tree("snapshots/deb12-6.1-cloud-default")),
    ("DIR", Input::Modules),
    ("crates", Input::Crates),
];

#[derive(Clone, Copy)]
enum Input {
    /// A fixture file under crates/kharden/tests/fixtures, copied.
    File(&'static str),
    /// A snapshot tree under crates/kharden/tests/fixtures, copied (commands may write in it).
    Tree(&'static str),
    /// The config with the Kconfig fragment `kharden fix --emit kconfig` makes for it merged
    /// over it (later lines replace earlier ones, as `merge_config.sh -m` does; no Kconfig run).
    FixedConfig(&'static str),
    /// A directory holding one unsigned module (modsig's crc7 fixture): `fix --out DIR` writes
    /// beside it, `modsign sign-tree DIR` signs it.
    Modules,
    /// A link to the workspace's crates/, for docs that name a fixture by its repository path.
    Crates,
}

/// Added to a command that would read the live host.
const LIVE: &[&str] = &["--root", "live"];

/// Shown in the docs, not run here, and why. Keep this short.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "kharden modsign build --cert-out certs/kharden.pem -- make -j2 bindeb-pkg",
        "a whole kernel build (tests/modsign_build.rs and scripts/test.d run modsign build on a real kernel tree)",
    ),
    (
        "kharden modsign build --cert-out certs/kharden.pem -- sh -c 'make -j2 && make modules_install INSTALL_MOD_PATH=out'",
        "a whole kernel build, as above",
    ),
    (
        "kharden modsign verify /lib/modules/$(uname -r)",
        "the running host's modules and kernel (a shell expansion of the host's release)",
    ),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One thing a document shows.
#[derive(Debug)]
enum Shown {
    Command {
        line: String,
        sample: Option<Vec<String>>,
    },
    Synopsis(String),
}

#[derive(Debug)]
struct Item {
    at: String,
    /// The code block it is in (its first line): the commands of a block share a directory.
    block: usize,
    shown: Shown,
}

fn documents() -> Vec<PathBuf> {
    let mut docs = vec![workspace().join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(workspace().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// A command line without its trailing `# comment`.
fn strip_comment(line: &str) -> &str {
    match line.find(" #") {
        Some(i) => line[..i].trim_end(),
        None => line.trim_end(),
    }
}

fn items(path: &Path) -> Vec<Item> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path
        .strip_prefix(workspace())
        .unwrap_or(path)
        .display()
        .to_string();
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("```") {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].starts_with("```") {
            end += 1;
        }
        let block = &lines[start..end];
        let at = |k: usize| format!("{name}:{}", start + k + 1);
        if block.iter().any(|l| l.starts_with("$ ")) {
            let mut k = 0;
            while k < block.len() {
                let Some(cmd) = block[k].strip_prefix("$ ") else {
                    k += 1;
                    continue;
                };
                let mut sample = Vec::new();
                let mut j = k + 1;
                while j < block.len() && !block[j].starts_with("$ ") {
                    sample.push(block[j].trim_end().to_string());
                    j += 1;
                }
                if cmd.starts_with("kharden ") {
                    out.push(Item {
                        at: at(k),
                        block: start,
                        shown: Shown::Command {
                            line: strip_comment(cmd).to_string(),
                            sample: Some(sample),
                        },
                    });
                }
                k = j;
            }
        } else {
            let mut k = 0;
            while k < block.len() {
                let l = block[k];
                if !l.starts_with("kharden ") {
                    k += 1;
                    continue;
                }
                let cmd = strip_comment(l);
                if cmd.contains('[') || cmd.contains("...") {
                    let mut synopsis = cmd.to_string();
                    while k + 1 < block.len() && block[k + 1].trim_start().starts_with('[') {
                        k += 1;
                        synopsis.push(' ');
                        synopsis.push_str(block[k].trim());
                    }
                    out.push(Item {
                        at: at(k),
                        block: start,
                        shown: Shown::Synopsis(synopsis),
                    });
                } else {
                    out.push(Item {
                        at: at(k),
                        block: start,
                        shown: Shown::Command {
                            line: cmd.to_string(),
                            sample: None,
                        },
                    });
                }
                k += 1;
            }
        }
        i = end + 1;
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        let dest = to.join(e.file_name());
        if t.is_dir() {
            copy_tree(&e.path(), &dest);
        } else if t.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A working directory with every input of [`WORKDIR`] the commands of a block name.
fn workdir(args: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, input) in WORKDIR {
        let named = args
            .iter()
            .any(|a| a == name || a.starts_with(&format!("{name}/")));
        if !named {
            continue;
        }
        let dest = dir.path().join(name);
        match *input {
            Input::File(f) => {
                std::fs::copy(fixtures().join(f), &dest).unwrap();
            }
            Input::Tree(t) => copy_tree(&fixtures().join(t), &dest),
            Input::FixedConfig(f) => {
                let frag = tempfile::tempdir().unwrap();
                let base = fixtures().join(f);
                let run = kharden_in(
                    frag.path(),
                    &[
                        "fix",
                        "--config",
                        base.to_str().unwrap(),
                        "--no-live",
                        "--emit",
                        "kconfig",
                        "--out",
                        ".",
                    ],
                );
                assert_eq!(run.0, 0, "{}", run.2);
                let merged =
                    common::merged_config(frag.path(), &base, &frag.path().join("kharden.config"));
                std::fs::copy(merged, &dest).unwrap();
            }
            Input::Modules => {
                std::fs::create_dir(&dest).unwrap();
                std::fs::copy(
                    workspace().join("crates/modsig/tests/fixtures/crc7.unsigned.ko"),
                    dest.join("crc7.ko"),
                )
                .unwrap();
            }
            Input::Crates => {
                std::os::unix::fs::symlink(workspace().join("crates"), &dest).unwrap();
            }
        }
    }
    dir
}

/// `kharden ARGS` in `dir`, hermetic as tests/common's runner: (status, stdout, stderr).
fn kharden_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kharden"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .output()
        .expect("run kharden");
    // A JSON document a doc shows follows its schema too.
    common::check_json(&out.stdout);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Would the command read the live host? (`audit`, `fix`, `apply` without a root or config.)
fn reads_live_host(args: &[String]) -> bool {
    matches!(
        args.first().map(String::as_str),
        Some("audit" | "fix" | "apply")
    ) && !args.iter().any(|a| a == "--root" || a == "--config")
}

/// Does `got` match the sample, where a `...` line matches any number of lines?
fn matches(sample: &[String], got: &[&str]) -> bool {
    match sample.split_first() {
        None => got.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=got.len()).any(|skip| matches(rest, &got[skip..]))
        }
        Some((first, rest)) => got
            .split_first()
            .is_some_and(|(g, grest)| g == first && matches(rest, grest)),
    }
}

fn trim_blank_tail<T: AsRef<str>>(mut v: Vec<T>) -> Vec<T> {
    while v.last().is_some_and(|l| l.as_ref().trim().is_empty()) {
        v.pop();
    }
    v
}

/// A shown command's arguments, with [`LIVE`] added when it would read the live host.
fn arguments(line: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(line).ok_or("cannot split the command line")?;
    let mut args: Vec<String> = words[1..].to_vec();
    if reads_live_host(&args) {
        args.extend(LIVE.iter().map(|s| s.to_string()));
    }
    Ok(args)
}

/// Run one shown command in `dir`; `Err` says what is wrong.
fn check_command(dir: &Path, line: &str, sample: Option<&[String]>) -> Result<(), String> {
    let args = arguments(line)?;
    let (code, stdout, stderr) = kharden_in(dir, &args);
    let shows_error = sample.is_some_and(|s| s.iter().any(|l| l.starts_with("kharden: error:")));
    let ok_code = if shows_error {
        code == 2
    } else {
        code == 0 || code == 1
    };
    if !ok_code {
        return Err(format!("exit {code}\nstderr: {stderr}"));
    }
    if sample.is_none() && stderr.contains("kharden: error") {
        return Err(format!("error on stderr: {stderr}"));
    }
    if let Some(sample) = sample {
        let all = format!("{stdout}{stderr}");
        let got: Vec<&str> = trim_blank_tail(all.lines().map(str::trim_end).collect());
        let want = trim_blank_tail(sample.to_vec());
        if !matches(&want, &got) {
            return Err(format!(
                "the sample differs from the real output.\n--- sample\n{}\n--- real output\n{}",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    Ok(())
}

/// Every `--flag` of a synopsis exists in the subcommand's `--help`.
fn check_synopsis(synopsis: &str) -> Result<(), String> {
    let words: Vec<&str> = synopsis.split_whitespace().collect();
    // The subcommand path: the words after `kharden` up to the first placeholder or flag.
    let sub: Vec<&str> = words[1..]
        .iter()
        .take_while(|w| {
            w.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !w.starts_with('-')
        })
        .copied()
        .collect();
    let mut help_args: Vec<&str> = sub.clone();
    help_args.push("--help");
    let dir = tempfile::tempdir().unwrap();
    let (code, help, err) = kharden_in(dir.path(), &help_args);
    if code != 0 {
        return Err(format!("`kharden {}` has no --help: {err}", sub.join(" ")));
    }
    let mut missing = Vec::new();
    for w in &words {
        let w = w.trim_matches(|c| c == '[' || c == ']' || c == '.' || c == ',');
        for flag in w.split('|') {
            let flag: String = flag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if flag.starts_with("--") && flag.len() > 2 && !help.contains(&flag) {
                missing.push(flag);
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "not in `kharden {} --help`: {}",
            sub.join(" "),
            missing.join(", ")
        ))
    }
}

#[test]
fn every_documented_command_runs_and_every_sample_is_real() {
    let mut problems = Vec::new();
    let mut ran = 0;
    let mut skipped = Vec::new();
    for doc in documents() {
        let all = items(&doc);
        // One working directory per block, made before its first command runs, with the
        // inputs every command of the block names: the commands run in order, as a reader
        // would type them (a file one writes, the next reads).
        let mut dirs: std::collections::BTreeMap<usize, tempfile::TempDir> = Default::default();
        for item in &all {
            let result = match &item.shown {
                Shown::Synopsis(s) => check_synopsis(s),
                Shown::Command { line, sample } => {
                    if let Some((_, why)) = NOT_RUN.iter().find(|(c, _)| c == line) {
                        skipped.push(format!("{line} ({why})"));
                        continue;
                    }
                    ran += 1;
                    let dir = dirs.entry(item.block).or_insert_with(|| {
                        let named: Vec<String> = all
                            .iter()
                            .filter(|i| i.block == item.block)
                            .filter_map(|i| match &i.shown {
                                Shown::Command { line, .. } => arguments(line).ok(),
                                Shown::Synopsis(_) => None,
                            })
                            .flatten()
                            .collect();
                        workdir(&named)
                    });
                    check_command(dir.path(), line, sample.as_deref())
                }
            };
            if let Err(e) = result {
                problems.push(format!("{}: {:?}\n{e}", item.at, item.shown));
            }
        }
    }
    // Each exception is still shown somewhere: a stale entry would hide nothing.
    for (cmd, _) in NOT_RUN {
        assert!(
            skipped.iter().any(|s| s.starts_with(cmd)),
            "NOT_RUN lists `{cmd}`, which no document shows any more"
        );
    }
    assert!(ran >= 15, "only {ran} documented commands found");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_sample_matcher_is_strict() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&s(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&s(&["a", "...", "d"]), &["a", "d"]));
    assert!(!matches(&s(&["a", "...", "d"]), &["a", "b", "c"]));
    assert!(!matches(&s(&["a", "b"]), &["a", "b", "c"]));
    assert!(!matches(&s(&["a", "c"]), &["a", "b"]));
}

/// What users read (README, docs, the rule texts `explain` prints) speaks for itself: no
/// "issue N" of the project's tracker, no article the reader has never seen.
#[test]
fn user_facing_text_names_no_tracker_issue_or_unnamed_article() {
    let mut files = documents();
    files.push(workspace().join("docs/rules/baseline.md"));
    files.push(workspace().join("docs/rules/full.md"));
    for dir in ["policies", "policies/full"] {
        for e in std::fs::read_dir(workspace().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.push(workspace().join("crates/kharden/src/policy/profiles.rs"));
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let l = line.to_lowercase();
            let issue = l
                .match_indices("issue ")
                .any(|(i, _)| l[i + 6..].starts_with(|c: char| c.is_ascii_digit()));
            if issue || l.contains("reference article") || l.contains("the article") {
                found.push(format!("{}:{}: {line}", f.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
