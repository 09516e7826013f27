//! Compile the built-in profiles (`policies/`) into static Rust data at build time.
//!
//! Parsing the `full` profile's ~300 KB of TOML took two thirds of a run, and building its 394
//! rules on the heap most of the rest. Here each rule file is read with the same serde
//! definitions the binary uses (`src/policy/def.rs`), the profiles are assembled from the same
//! file lists (`src/policy/profiles.rs`, `full_files.rs`), and every profile is written out as
//! one `static` slice of compiled rules whose texts and lists borrow from the binary: loading a
//! profile costs nothing at run time.
//!
//! This script maps definitions to compiled rules the way `compile_rules` and `check::compile`
//! do; validation stays with them. A test (`static_profiles_equal_the_parsed_files`) holds every
//! static profile equal to the profile parsed and validated at run time, so a rule file that is
//! wrong, or a difference between the two mappings, fails the build's tests. A profile with a
//! file this script cannot map is left out, and the binary parses it at run time, reporting the
//! problems with their file:line:column.

use std::fmt::Write as _;
use std::path::PathBuf;

#[path = "src/policy/def.rs"]
#[allow(dead_code)]
mod def;
#[path = "src/policy/full_files.rs"]
#[allow(dead_code)]
mod full_files;
#[path = "src/policy/profiles.rs"]
#[allow(dead_code)]
mod profiles;

use def::{CheckDef, OnAbsent, RuleDef, Severity, Status};

#[derive(serde::Deserialize)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
}

type Out = Result<(), String>;

fn text(o: &mut String, s: &str) {
    write!(o, "B({s:?})").unwrap();
}

fn opt_text(o: &mut String, s: Option<&str>) {
    match s {
        Some(s) => {
            o.push_str("Some(");
            text(o, s);
            o.push(')');
        }
        None => o.push_str("None"),
    }
}

/// A list borrowed from static data: `B(&[a, b, ])`.
fn list<T>(o: &mut String, items: &[T], mut item: impl FnMut(&mut String, &T) -> Out) -> Out {
    o.push_str("B(&[");
    for i in items {
        item(o, i)?;
        o.push_str(", ");
    }
    o.push_str("])");
    Ok(())
}

fn texts(o: &mut String, items: &[impl AsRef<str>]) {
    list(o, items, |o, s| {
        text(o, s.as_ref());
        Ok(())
    })
    .expect("texts cannot fail");
}

fn version(o: &mut String, v: Option<&String>) -> Out {
    match v {
        None => o.push_str("None"),
        Some(s) => {
            let (a, b, c) = def::parse_version(s).ok_or_else(|| format!("version {s:?}"))?;
            write!(o, "Some(({a}, {b}, {c}))").unwrap();
        }
    }
    Ok(())
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Severity::Low",
        Severity::Medium => "Severity::Medium",
        Severity::High => "Severity::High",
        Severity::Critical => "Severity::Critical",
    }
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Pass => "Status::Pass",
        Status::Fail => "Status::Fail",
        Status::Unknown => "Status::Unknown",
        Status::NotApplicable => "Status::NotApplicable",
    }
}

fn on_absent(a: OnAbsent) -> &'static str {
    match a {
        OnAbsent::Compare => "OnAbsent::Compare",
        OnAbsent::Pass => "OnAbsent::Pass",
        OnAbsent::Fail => "OnAbsent::Fail",
        OnAbsent::Unknown => "OnAbsent::Unknown",
    }
}

/// A bound as `check::compile` reads it: a string, or an integer written as decimal.
fn scalar(v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        other => Err(format!("a bound of type {}", other.type_str())),
    }
}

/// A check as `check::compile` builds it (exactly one combinator or source, and one comparison).
fn check(o: &mut String, d: &CheckDef) -> Out {
    let combinators = [("Any", &d.any), ("All", &d.all)];
    let sources = [
        ("Kconfig", &d.kconfig),
        ("Cmdline", &d.cmdline),
        ("Sysctl", &d.sysctl),
        ("Runtime", &d.runtime),
    ];
    let given = combinators.iter().filter(|(_, v)| v.is_some()).count()
        + sources.iter().filter(|(_, v)| v.is_some()).count();
    if given != 1 {
        return Err("a check needs exactly one of any, all, kconfig, ...".into());
    }
    for (variant, l) in combinators {
        if let Some(l) = l {
            if l.is_empty() {
                return Err("an empty any/all list".into());
            }
            write!(o, "Check::{variant}(").unwrap();
            list(o, l, check)?;
            o.push(')');
            return Ok(());
        }
    }
    let (source, key) = sources
        .iter()
        .find_map(|(s, k)| k.as_ref().map(|k| (*s, k)))
        .expect("one source");
    let mut cmps = Vec::new();
    if let Some(v) = &d.is {
        let mut c = String::from("Cmp::Is(");
        text(&mut c, v);
        cmps.push(c + ")");
    }
    for (variant, vs) in [("OneOf", &d.one_of), ("NoneOf", &d.none_of)] {
        if let Some(vs) = vs {
            let mut c = format!("Cmp::{variant}(");
            texts(&mut c, vs);
            cmps.push(c + ")");
        }
    }
    for (variant, v) in [("AtLeast", &d.at_least), ("AtMost", &d.at_most)] {
        if let Some(v) = v {
            let mut c = format!("Cmp::{variant}(");
            text(&mut c, &scalar(v)?);
            cmps.push(c + ")");
        }
    }
    if let Some(v) = &d.contains {
        let mut c = String::from("Cmp::Contains(");
        text(&mut c, v);
        cmps.push(c + ")");
    }
    if let Some(ls) = &d.taint_clear {
        let letters: Vec<char> = ls.iter().filter_map(|l| l.chars().next()).collect();
        let mut c = String::from("Cmp::TaintClear(");
        list(&mut c, &letters, |o, l| {
            write!(o, "{l:?}").unwrap();
            Ok(())
        })?;
        cmps.push(c + ")");
    }
    let [cmp] = cmps.as_slice() else {
        return Err(format!("{key}: needs exactly one comparison"));
    };
    write!(o, "Check::Leaf(Leaf {{ source: SourceKind::{source}, key: ").unwrap();
    text(o, key);
    write!(
        o,
        ", cmp: {cmp}, on_absent: {}, arch: ",
        on_absent(d.absent.unwrap_or(OnAbsent::Compare))
    )
    .unwrap();
    texts(o, d.arch.as_deref().unwrap_or_default());
    o.push_str(", min_version: ");
    version(o, d.min_version.as_ref())?;
    o.push_str(", max_version: ");
    version(o, d.max_version.as_ref())?;
    o.push_str(", note: ");
    opt_text(o, d.note.as_deref());
    o.push_str(" })");
    Ok(())
}

/// A rule as `compile_rules` builds it (prose trimmed; `file` is `policies/<name>`).
fn rule(o: &mut String, file: &str, r: &RuleDef) -> Out {
    o.push_str("Rule { id: ");
    text(o, &r.id);
    o.push_str(", title: ");
    text(o, &r.title);
    o.push_str(", area: ");
    text(o, &r.area);
    write!(o, ", severity: {}, rationale: ", severity(r.severity)).unwrap();
    text(o, r.rationale.trim());
    o.push_str(", breaks: ");
    text(o, r.breaks.trim());
    o.push_str(", decision: ");
    opt_text(o, r.decision.as_deref().map(str::trim));
    o.push_str(", references: ");
    texts(o, &r.references);
    o.push_str(", arch: ");
    texts(o, &r.arch);
    o.push_str(", min_version: ");
    version(o, r.min_version.as_ref())?;
    o.push_str(", shortcuts: ");
    list(o, &r.shortcut, |o, s| {
        o.push_str("Shortcut { when: ");
        check(o, &s.when)?;
        write!(o, ", status: {}, reason: ", status(s.status)).unwrap();
        text(o, &s.reason);
        o.push_str(" }");
        Ok(())
    })?;
    o.push_str(", check: ");
    check(o, &r.check)?;
    o.push_str(", remedy: ");
    list(o, &r.remedy, |o, m| {
        o.push_str("Remedy { source: ");
        text(o, &m.source);
        o.push_str(", text: ");
        text(o, &m.text);
        o.push_str(" }");
        Ok(())
    })?;
    o.push_str(", file: ");
    text(o, &format!("policies/{file}"));
    o.push_str(" }");
    Ok(())
}

/// The compiled rules of one file, each followed by `,\n`.
fn compile_file(name: &str, text: &str) -> Result<String, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut o = String::new();
    for r in &file.rule {
        rule(&mut o, name, r)?;
        o.push_str(",\n");
    }
    Ok(o)
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let policies = manifest.join("../../policies");
    for f in ["def.rs", "full_files.rs", "profiles.rs"] {
        println!("cargo:rerun-if-changed=src/policy/{f}");
    }
    println!("cargo:rerun-if-changed={}", policies.display());
    println!("cargo:rerun-if-changed={}", policies.join("full").display());

    let mut statics = String::new();
    let mut arms = String::new();
    for (i, (profile, _, _)) in profiles::PROFILES.iter().enumerate() {
        let mut body = String::new();
        let mut ok = true;
        for file in profiles::profile_files(profile) {
            println!("cargo:rerun-if-changed={}", policies.join(file).display());
            let text = profiles::file_text(file).expect("a listed file");
            match compile_file(file, text) {
                Ok(rules) => body.push_str(&rules),
                // Broken: run time parses the profile and reports the problem where it is.
                Err(_) => ok = false,
            }
        }
        if ok {
            writeln!(statics, "static PROFILE_{i}: &[Rule] = &[\n{body}];").unwrap();
            writeln!(arms, "        {profile:?} => Some(PROFILE_{i}),").unwrap();
        }
    }
    let code = format!(
        "#[allow(clippy::all, unused_imports)]\nmod generated {{\n\
         use std::borrow::Cow::Borrowed as B;\n\
         use crate::policy::{{Check, Cmp, Leaf, OnAbsent, Remedy, Rule, Severity, Shortcut, Status}};\n\
         use crate::probe::SourceKind;\n\
         {statics}\n\
         pub fn static_profile(name: &str) -> Option<&'static [Rule]> {{\n    match name {{\n{arms}        _ => None,\n    }}\n}}\n}}\n"
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_rules.rs"), code).expect("write builtin_rules.rs");
}
