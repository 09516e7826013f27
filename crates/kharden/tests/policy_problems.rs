//! Policy problems are values (`policy::Diagnostic`: file, line:column, code, message): every
//! problem of a file is found in one run, unknown keys come from the parser's spans, words are
//! decided when the policy is loaded, and problems are ordered by place, not by their text.

use kharden::policy::{builtin, user, Code, Diagnostic};

mod common;

/// The problems `user::apply` finds in `text` on top of the baseline profile.
fn problems(name: &str, text: &str) -> Vec<Diagnostic> {
    let mut profile = builtin::load("baseline").expect("baseline");
    match user::apply(name, text, &mut profile) {
        Ok(()) => Vec::new(),
        Err(e) => e.problems,
    }
}

fn summary(problems: &[Diagnostic]) -> Vec<(Code, (usize, usize))> {
    problems
        .iter()
        .map(|p| (p.code, p.at.expect("a place")))
        .collect()
}

const EVERY_PROBLEM: &str = r#"drop = ["no-such-rule"]
frobnicate = true

[severity]
"kaslr-config" = "hgh"

[[waiver]]
rule = "kexec-load-disabled"
reason = "x"
expires = 2024-02-31

[[rule]]
id = "site-rule"
title = "t"
area = "site"
severity = "hgh"
rationale = "r"
breaks = "b"
check = { kconfig = "VT", is = "off" }

[[rule]]
id = "site-other"
title = "t"
area = "site"
severity = "low"
rationale = "r"
breaks = "b"
check = { runtime = "secure_boot", is = "enable", colour = 1 }

[extras]
x = 1
"#;

/// A file with a bad date, an unknown drop id, a misspelt severity (in `[severity]` and in a
/// rule), unknown keys (one a whole `[table]`) and a word a runtime fact never takes: all of
/// them are reported at once, in file order, each with its code.
#[test]
fn every_problem_of_a_policy_is_reported_in_one_run() {
    let found = problems("p.toml", EVERY_PROBLEM);
    assert_eq!(
        summary(&found),
        vec![
            (Code::UnknownRule, (1, 9)),
            (Code::UnknownKey, (2, 1)),
            (Code::BadSeverity, (5, 18)),
            (Code::TomlSyntax, (10, 11)),
            (Code::InvalidValue, (16, 12)),
            (Code::BadComparison, (21, 1)),
            (Code::UnknownKey, (28, 51)),
            (Code::UnknownKey, (30, 2)),
        ],
        "{found:#?}"
    );
    assert_eq!(
        found[3].to_string(),
        "p.toml:10:11: invalid date, expected day between 01 and 29"
    );
    assert_eq!(
        found[4].message,
        "unknown variant `hgh`, expected one of `low`, `medium`, `high`, `critical`"
    );
    assert_eq!(
        found[5].message,
        "rule \"site-other\": runtime \"secure_boot\": \"enable\" is not one of enabled, \
         disabled, setup_mode, not_efi"
    );

    // The binary prints the same problems, one line each, then the count.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, EVERY_PROBLEM).unwrap();
    let r = common::kharden(["rules", "--policy", path.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), found.len() + 1, "{}", r.stderr);
    for (line, p) in lines.iter().zip(&found) {
        let want = format!("kharden: error: {}/{p}", dir.path().display());
        assert_eq!(*line, want);
    }
    assert_eq!(
        lines[found.len()],
        "kharden: error: 8 problems in the policy"
    );
}

/// Problems are ordered by line and column, whatever the file's name holds (ordering by
/// re-splitting `file:line:col` text put a file named with `:` in push order).
#[test]
fn problems_are_ordered_by_place_even_in_a_file_named_with_colons() {
    let text = "[[rule]]\nid = \"Bad_Id\"\ntitle = \"t\"\narea = \"a\"\nseverity = \"low\"\n\
                rationale = \"r\"\nbreaks = \"b\"\ncheck = { kconfig = \"VT\", is = \"off\" }\n\n\
                [severity]\n\"nope\" = \"low\"\n";
    let text = format!("drop = [\"gone\"]\n{text}");
    let found = problems("a:1:1:b.toml", &text);
    assert_eq!(
        summary(&found),
        vec![
            (Code::UnknownRule, (1, 9)),
            (Code::BadId, (2, 1)),
            (Code::UnknownRule, (12, 10)),
        ],
        "{found:#?}"
    );
    assert!(found[0]
        .to_string()
        .starts_with("a:1:1:b.toml:1:9: drop: no rule"));
}

/// The words of `is` are decided when the policy is loaded: a word that means nothing for its
/// source, or that a runtime fact never takes, is a problem of the policy.
#[test]
fn comparison_words_are_decided_at_load_time() {
    let rule = |check: &str| {
        format!(
            "[[rule]]\nid = \"site-x\"\ntitle = \"t\"\narea = \"a\"\nseverity = \"low\"\n\
             rationale = \"r\"\nbreaks = \"b\"\ncheck = {check}\n"
        )
    };
    for (check, why) in [
        (
            r#"{ kconfig = "VT", is = "absent" }"#,
            "a config option is never \"absent\"",
        ),
        (
            r#"{ sysctl = "kernel.x", is = "present" }"#,
            "\"present\" is a word of kconfig and cmdline checks",
        ),
        (
            r#"{ runtime = "lockdown", is = "full" }"#,
            "\"full\" is not one of none, integrity, confidentiality",
        ),
        (
            r#"{ runtime = "kaslr", one_of = ["on", "in_effect"] }"#,
            "\"on\" is not one of in_effect, off",
        ),
        (
            r#"{ sysctl = "kernel.x", at_least = "high" }"#,
            "needs a number, a lockdown level or CONFIG_NAME",
        ),
    ] {
        let found = problems("p.toml", &rule(check));
        assert_eq!(found.len(), 1, "{check}: {found:#?}");
        assert_eq!(found[0].code, Code::BadComparison, "{check}");
        assert!(found[0].message.contains(why), "{check}: {}", found[0]);
    }
    let found = problems("p.toml", &rule(r#"{ runtime = "lockdwn", is = "none" }"#));
    assert_eq!(found[0].code, Code::BadFact);
    assert!(found[0].message.ends_with(
        "unknown runtime fact (known: ipe, kallsyms, kaslr, lockdown, lsm, secure_boot, sig_enforce)"
    ));
    // The words that mean something, each where it does.
    for check in [
        r#"{ kconfig = "VT", is = "off" }"#,
        r#"{ kconfig = "VT", is = "present" }"#,
        r#"{ kconfig = "VT", is = "n" }"#,
        r#"{ cmdline = "nosmt", is = "absent" }"#,
        r#"{ cmdline = "module.sig_enforce", is = "true" }"#,
        r#"{ cmdline = "mitigations", is = "off" }"#,
        r#"{ runtime = "lockdown", at_least = "integrity" }"#,
        r#"{ runtime = "lsm", contains = "landlock" }"#,
        r#"{ sysctl = "vm.mmap_rnd_bits", at_least = "CONFIG_ARCH_MMAP_RND_BITS_MAX" }"#,
    ] {
        assert_eq!(problems("p.toml", &rule(check)), vec![], "{check}");
    }
}

/// A syntax error is one problem: what the parser could not read is not reported again as a
/// value of the wrong type.
#[test]
fn a_syntax_error_is_reported_once() {
    let found = problems(
        "p.toml",
        "[[waiver]]\nrule = \"kaslr-config\"\nreason = \"r\"\nexpires = 2023-02-29\n",
    );
    assert_eq!(summary(&found), vec![(Code::TomlSyntax, (4, 11))]);
}

/// A waiver with a bad date and an empty reason: both at once (the bad date once hid the empty
/// reason until it was fixed); a rule with a bad optional value still has its other values
/// checked.
#[test]
fn one_bad_value_of_an_item_hides_none_of_its_others() {
    let text =
        "[[waiver]]\nrule = \"kexec-load-disabled\"\nreason = \"\"\nexpires = 2027-02-31\n\n\
                [[waiver]]\nrule = \"kptr-restrict\"\nreason = \" \"\nexpires = \"soon\"\n";
    let found = problems("w.toml", text);
    assert_eq!(
        summary(&found),
        vec![
            (Code::EmptyReason, (1, 1)),
            (Code::TomlSyntax, (4, 11)),
            (Code::EmptyReason, (6, 1)),
            (Code::InvalidValue, (9, 11)),
        ],
        "{found:#?}"
    );
    let rule = "[[rule]]\nid = \"site\"\ntitle = \"\"\narea = \"site\"\nseverity = \"low\"\n\
                rationale = \"r\"\nbreaks = \"b\"\narch = \"x86_64\"\n\
                check = { sysctl = \"kernel.kptr_restrict\", at_least = 1 }\n";
    let found = problems("r.toml", rule);
    let codes: Vec<Code> = found.iter().map(|p| p.code).collect();
    // `arch` must be a list; the empty title is still found.
    assert_eq!(
        codes,
        vec![Code::EmptyText, Code::InvalidValue],
        "{found:#?}"
    );
}

/// A user rule's remedy is parsed when the policy is loaded: a sysctl remedy that is not
/// `key = value` is a problem at the remedy's own line and column, and no command runs with
/// the policy (it once passed `rules --policy`, showed in `audit -v`, and `fix` dropped it).
#[test]
fn a_malformed_remedy_is_a_load_error_at_its_place() {
    let text = "[[rule]]\nid = \"site-kptr\"\ntitle = \"t\"\narea = \"site\"\nseverity = \"low\"\n\
                rationale = \"r\"\nbreaks = \"b\"\n\
                check = { sysctl = \"kernel.kptr_restrict\", at_least = 1 }\n\
                remedy = [{ source = \"sysctl\", text = \"kernel.kptr_restrict = 1\" },\n          \
                { source = \"sysctl\", text = \"kptr_restrict\" }]\n";
    let found = problems("m.toml", text);
    assert_eq!(
        summary(&found),
        vec![(Code::BadRemedy, (10, 39))],
        "{found:#?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.toml");
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap();
    let config = common::fixtures().join("configs/debian12-6.1-cloud-amd64.config.xz");
    let c = config.to_str().unwrap();
    for args in [
        vec!["rules", "--policy", p],
        vec!["audit", "--config", c, "--no-live", "-v", "--policy", p],
        vec!["fix", "--config", c, "--no-live", "--policy", p],
    ] {
        let r = common::kharden(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert!(
            r.stderr.contains(&format!(
                "{p}:10:39: rule \"site-kptr\": sysctl remedy \"kptr_restrict\" is not `key = value`"
            )),
            "{args:?}: {}",
            r.stderr
        );
    }
}
