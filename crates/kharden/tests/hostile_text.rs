//! Text from the audited inputs never drives the terminal: a snapshot's files, a policy's texts
//! and the names of files are shown with their control characters and bidirectional overrides
//! escaped (`\x1b`), in every human output and in error messages. JSON carries them unchanged
//! (its own escaping makes them harmless).

use std::path::Path;

mod common;

use common::Run;

/// ESC (clear screen, colour), OSC (retitle the window, ended by BEL), a C1 CSI and a
/// right-to-left override: what a hostile snapshot or policy would plant.
const HOSTILE: &str = "\x1b[2J\x1b[31mred\x1b]0;owned\x07\u{9b}1m\u{202e}gnp.exe";

/// The same, as a TOML basic string's escapes (TOML forbids raw control characters).
const HOSTILE_TOML: &str = "\\u001b[2J\\u001b[31mred\\u001b]0;owned\\u0007\\u009b1m\\u202egnp.exe";

fn run(args: &[&Path]) -> Run {
    common::kharden(args)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let kind = e.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&src, &dst);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// No byte or character that a terminal obeys, and the escaped form is there to read.
fn assert_shown_escaped(what: &str, r: &Run) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        for bad in ['\x1b', '\x07', '\u{9b}', '\u{202e}'] {
            assert!(
                !text.contains(bad),
                "{what}: {stream} holds {bad:?}:\n{text}"
            );
        }
    }
    assert!(
        r.stdout.contains("\\x1b[2J") || r.stderr.contains("\\x1b[2J"),
        "{what}: the escaped form is missing:\n{}\n{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn snapshot_escape_sequences_are_shown_escaped_in_human_output() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = common::fixtures().join("snapshots/deb12-6.1-cloud-default");
    // The snapshot's own directory name is shown in the source lines.
    let root = tmp.path().join(format!("snap{HOSTILE}"));
    copy_tree(&snap, &root);
    let proc = root.join("proc");
    std::fs::write(
        proc.join("sys/kernel/osrelease"),
        format!("6.1.0{HOSTILE}\n"),
    )
    .unwrap();
    // The config is found by the release's name, and shown.
    std::fs::rename(
        root.join("boot/config-6.1.0-56-cloud-amd64"),
        root.join(format!("boot/config-6.1.0{HOSTILE}")),
    )
    .unwrap();
    std::fs::write(
        proc.join("cmdline"),
        format!("console=ttyS0 panic=-1 module.sig_enforce={HOSTILE}\n"),
    )
    .unwrap();
    std::fs::write(
        proc.join("sys/kernel/kptr_restrict"),
        format!("0{HOSTILE}\n"),
    )
    .unwrap();
    // A policy (under a hostile name) whose texts are hostile: a waiver's reason, a waiver
    // that matches nothing (a warning naming the file), a rule's rationale, references and
    // check. (Titles, areas and remedies must be one line without control characters: a
    // policy with such a title is refused when loaded, further down.)
    let policy = tmp.path().join(format!("policy{HOSTILE}.toml"));
    std::fs::write(
        &policy,
        format!(
            r#"[[waiver]]
rule = "kexec-load-disabled"
reason = "{HOSTILE_TOML}"

[[waiver]]
rule = "selinux-develop-off"
reason = "expired {HOSTILE_TOML}"
expires = 2020-01-01

[[waiver]]
rule = "no-such-rule"
reason = "{HOSTILE_TOML}"

[[rule]]
id = "site-hostile"
title = "title"
area = "site"
severity = "low"
rationale = "why {HOSTILE_TOML}\nsecond line {HOSTILE_TOML}"
breaks = "breaks {HOSTILE_TOML}"
references = ["ref {HOSTILE_TOML}"]
[rule.check]
sysctl = "kernel.{HOSTILE_TOML}"
is = "1"
[[rule.remedy]]
source = "runtime"
text = "fix by hand"
"#
        ),
    )
    .unwrap();
    let p = |s: &'static str| Path::new(s);

    let r = run(&[
        p("audit"),
        p("--root"),
        &root,
        p("--policy"),
        &policy,
        p("-v"),
        p("--all"),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_shown_escaped("audit -v --all", &r);
    for shown in [
        "6.1.0\\x1b[2J\\x1b[31mred\\x1b]0;owned\\x07\\u{9b}1m\\u{202e}gnp.exe (x86_64)",
        "module.sig_enforce=\\x1b[2J",
        "kernel.kptr_restrict = 0\\x1b[2J",
        "waived: \\x1b[2J",
        "expired \\x1b[2J",
        "policy\\x1b[2J",
        "snap\\x1b[2J",
        "/boot/config-6.1.0\\x1b[2J",
    ] {
        assert!(r.stdout.contains(shown), "{shown:?} missing:\n{}", r.stdout);
    }

    // JSON keeps the raw strings (escaped by JSON's rules) and still parses.
    let r = run(&[
        p("audit"),
        p("--root"),
        &root,
        p("--policy"),
        &policy,
        p("--format"),
        p("json"),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains('\x1b') && !r.stdout.contains('\x07'));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["kernel"]["release"], format!("6.1.0{HOSTILE}"));
    assert_eq!(
        common::finding(&doc, "kexec-load-disabled")["waiver"]["reason"],
        HOSTILE
    );
    assert_eq!(common::finding(&doc, "site-hostile")["title"], "title");
    assert!(
        common::finding(&doc, "site-hostile")
            .to_string()
            .contains("\\u001b[2J"),
        "the check's hostile key is not in the JSON finding"
    );

    // rules and explain show the policy's texts escaped.
    // (The list shows ids, areas and titles, which cannot hold control characters.)
    let r = run(&[p("rules"), p("--policy"), &policy]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.chars().any(|c| c.is_control() && c != '\n'));
    assert!(r.stdout.contains("site-hostile"), "{}", r.stdout);
    let r = run(&[
        p("rules"),
        p("--policy"),
        &policy,
        p("--format"),
        p("markdown"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_shown_escaped("rules --format markdown", &r);
    for id in ["site-hostile", "kexec-load-disabled", "selinux-develop-off"] {
        let r = run(&[p("explain"), Path::new(id), p("--policy"), &policy]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_shown_escaped(id, &r);
    }

    // diff names both sides and shows the values that differ.
    let r = run(&[p("diff"), &snap, &root]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_shown_escaped("diff", &r);
    assert!(
        r.stdout.contains("kernel.kptr_restrict: 0 -> 0\\x1b[2J"),
        "{}",
        r.stdout
    );

    // A title with control characters is a load error, shown escaped.
    let titled = tmp.path().join("titled.toml");
    std::fs::write(
        &titled,
        format!(
            "[[rule]]\nid = \"site-t\"\ntitle = \"t {HOSTILE_TOML}\"\narea = \"site\"\n\
             severity = \"low\"\nrationale = \"r\"\nbreaks = \"b\"\n[rule.check]\n\
             sysctl = \"kernel.sysrq\"\nis = \"0\"\n"
        ),
    )
    .unwrap();
    let r = run(&[p("rules"), p("--policy"), &titled]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("one line"), "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "{}", r.stderr);

    // Errors quote names and values: a policy problem, a missing file.
    let bad = tmp.path().join(format!("bad{HOSTILE}.toml"));
    std::fs::write(&bad, format!("\"{HOSTILE_TOML}\" = 1\n")).unwrap();
    let r = run(&[p("audit"), p("--root"), &root, p("--policy"), &bad]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_shown_escaped("policy problem", &r);
    let missing = tmp.path().join(format!("missing{HOSTILE}.config"));
    let r = run(&[p("audit"), p("--no-live"), p("--config"), &missing]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_shown_escaped("missing config", &r);
}
