//! Compile the built-in profiles (`policies/`) into static Rust data at build time.
//!
//! Parsing the `full` profile's ~300 KB of TOML took two thirds of a run, and building its 394
//! rules on the heap most of the rest. Here each rule file is parsed and compiled by the
//! library's own loader and compiler (`src/policy/load.rs`, `compile.rs`, included below: one
//! compiler, not two), the profiles are assembled from the same file lists
//! (`src/policy/profiles.rs`, `full_files.rs`), and every compiled profile is written out as one
//! `static` slice of rules whose texts and lists borrow from the binary: loading a profile costs
//! nothing at run time.
//!
//! What is written here is only the compiled values as Rust expressions ([`Bake`]); each impl
//! takes its type apart field by field, so a field added to a compiled type and not baked is a
//! build error. A test (`static_profiles_equal_the_parsed_files`) holds every static profile
//! equal to the profile compiled at run time. A profile with a file that has a problem is left
//! out, and the binary compiles it at run time, reporting the problems with their
//! file:line:column.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::PathBuf;

// The library's modules that build.rs shares; each names its neighbours through `super::`.
#[path = "src/policy/check.rs"]
#[allow(dead_code)]
mod check;
#[path = "src/policy/compile.rs"]
#[allow(dead_code)]
mod compile;
#[path = "src/policy/def.rs"]
#[allow(dead_code)]
mod def;
#[path = "src/policy/diag.rs"]
#[allow(dead_code)]
mod diag;
#[path = "src/policy/full_files.rs"]
#[allow(dead_code)]
mod full_files;
#[path = "src/probe/kinds.rs"]
#[allow(dead_code)]
mod kinds;
#[path = "src/policy/load.rs"]
#[allow(dead_code)]
mod load;
#[path = "src/policy/profiles.rs"]
#[allow(dead_code)]
mod profiles;
#[path = "src/policy/remedy.rs"]
#[allow(dead_code)]
mod remedy;
#[path = "src/policy/rule.rs"]
#[allow(dead_code)]
mod rule;
#[path = "src/probe/taint.rs"]
#[allow(dead_code)]
mod taint;

use check::{Bound, Check, Cmp, Leaf, Operand};
use remedy::{Change, Part};
use rule::{Blocks, Remedy, Rule, Shortcut};

/// A compiled value written as the Rust expression that builds it, borrowing every text and
/// list from static data.
trait Bake {
    fn bake(&self, o: &mut String);
}

impl Bake for Cow<'static, str> {
    fn bake(&self, o: &mut String) {
        write!(o, "B({:?})", &**self).unwrap();
    }
}

impl<T: Bake + Clone> Bake for Cow<'static, [T]> {
    fn bake(&self, o: &mut String) {
        o.push_str("B(&[");
        for item in self.iter() {
            item.bake(o);
            o.push_str(", ");
        }
        o.push_str("])");
    }
}

impl<T: Bake> Bake for Option<T> {
    fn bake(&self, o: &mut String) {
        match self {
            Some(v) => {
                o.push_str("Some(");
                v.bake(o);
                o.push(')');
            }
            None => o.push_str("None"),
        }
    }
}

impl Bake for (u32, u32, u32) {
    fn bake(&self, o: &mut String) {
        write!(o, "({}, {}, {})", self.0, self.1, self.2).unwrap();
    }
}

impl Bake for char {
    fn bake(&self, o: &mut String) {
        write!(o, "{self:?}").unwrap();
    }
}

/// Fieldless enums: `Type::Variant`.
macro_rules! bake_unit {
    ($($t:ident)::+) => {
        impl Bake for $($t)::+ {
            fn bake(&self, o: &mut String) {
                write!(o, "{}::{self:?}", stringify!($($t)::+).rsplit("::").next().unwrap())
                    .unwrap();
            }
        }
    };
}

bake_unit!(def::Severity);
bake_unit!(def::Status);
bake_unit!(def::OnAbsent);
bake_unit!(kinds::SourceKind);
bake_unit!(kinds::RuntimeFact);
bake_unit!(kinds::Lockdown);
bake_unit!(kinds::BlockerKind);

/// `Type { field: value, ... }`, each field baked.
macro_rules! fields {
    ($o:expr, $name:expr, $($field:ident),+) => {{
        $o.push_str($name);
        $o.push_str(" {");
        $(
            $o.push_str(concat!(" ", stringify!($field), ": "));
            $field.bake($o);
            $o.push(',');
        )+
        $o.push_str(" }");
    }};
}

/// A struct baked field by field. The fields are named once, and the pattern that takes the
/// value apart has no `..`: a field added to the type and not listed here is a build error.
macro_rules! bake_struct {
    ($t:ident { $($field:ident),+ $(,)? }) => {
        impl Bake for $t {
            fn bake(&self, o: &mut String) {
                let $t { $($field),+ } = self;
                fields!(o, stringify!($t), $($field),+);
            }
        }
    };
}

bake_struct!(Rule {
    id,
    title,
    area,
    severity,
    rationale,
    breaks,
    decision,
    references,
    arch,
    min_version,
    shortcuts,
    check,
    remedy,
    readiness,
    file,
});
bake_struct!(Blocks {
    kind,
    consequence,
    way_out
});
bake_struct!(Shortcut {
    when,
    status,
    reason
});
bake_struct!(Remedy {
    source,
    text,
    change
});

impl Bake for Part {
    fn bake(&self, o: &mut String) {
        let Part { start, end } = self;
        write!(o, "Part {{ start: {start}, end: {end} }}").unwrap();
    }
}

impl Bake for Change<Part> {
    fn bake(&self, o: &mut String) {
        match self {
            Change::KconfigSet { name, value } => fields!(o, "Change::KconfigSet", name, value),
            Change::KconfigUnset { name } => fields!(o, "Change::KconfigUnset", name),
            Change::Sysctl { key, value } => fields!(o, "Change::Sysctl", key, value),
            Change::CmdlineAdd { arg } => fields!(o, "Change::CmdlineAdd", arg),
            Change::CmdlineRemove { arg } => fields!(o, "Change::CmdlineRemove", arg),
        }
    }
}

impl Bake for Check {
    fn bake(&self, o: &mut String) {
        let (variant, inner): (&str, &dyn Bake) = match self {
            Check::Any(cs) => ("Check::Any(", cs),
            Check::All(cs) => ("Check::All(", cs),
            Check::Leaf(l) => ("Check::Leaf(", l),
        };
        o.push_str(variant);
        inner.bake(o);
        o.push(')');
    }
}

bake_struct!(Leaf {
    source,
    key,
    runtime,
    cmp,
    expected,
    on_absent,
    arch,
    min_version,
    max_version,
    note,
});

impl Bake for Cmp {
    fn bake(&self, o: &mut String) {
        let (variant, inner): (&str, Option<&dyn Bake>) = match self {
            Cmp::NotSet => ("Cmp::NotSet", None),
            Cmp::Enabled => ("Cmp::Enabled", None),
            Cmp::Present => ("Cmp::Present", None),
            Cmp::Absent => ("Cmp::Absent", None),
            Cmp::Bool(b) => {
                write!(o, "Cmp::Bool({b})").unwrap();
                return;
            }
            Cmp::Is(v) => ("Cmp::Is", Some(v)),
            Cmp::OneOf(vs) => ("Cmp::OneOf", Some(vs)),
            Cmp::NoneOf(vs) => ("Cmp::NoneOf", Some(vs)),
            Cmp::AtLeast(b) => ("Cmp::AtLeast", Some(b)),
            Cmp::AtMost(b) => ("Cmp::AtMost", Some(b)),
            Cmp::Contains(v) => ("Cmp::Contains", Some(v)),
            Cmp::TaintClear(ls) => ("Cmp::TaintClear", Some(ls)),
        };
        o.push_str(variant);
        if let Some(inner) = inner {
            o.push('(');
            inner.bake(o);
            o.push(')');
        }
    }
}

impl Bake for Operand {
    fn bake(&self, o: &mut String) {
        let (variant, v) = match self {
            Operand::Value(v) => ("Operand::Value(", v),
            Operand::Config(v) => ("Operand::Config(", v),
        };
        o.push_str(variant);
        v.bake(o);
        o.push(')');
    }
}

impl Bake for Bound {
    fn bake(&self, o: &mut String) {
        match self {
            Bound::Number(n) => write!(o, "Bound::Number({n})").unwrap(),
            Bound::Lockdown(l) => {
                o.push_str("Bound::Lockdown(");
                l.bake(o);
                o.push(')');
            }
            Bound::Config(name) => {
                o.push_str("Bound::Config(");
                name.bake(o);
                o.push(')');
            }
        }
    }
}

/// The git commit kharden is built from, for `--version` and the JSON documents' `generator`:
/// `KHARDEN_COMMIT` from the environment when set (a packager building from a tarball knows
/// it), else `git rev-parse` of the checkout (12 hex digits; uncommitted changes are not
/// marked: watching them would rebuild on every edit), else `unknown`. Rebuilt when HEAD or the
/// branch it names moves.
fn git_commit(manifest: &std::path::Path) -> String {
    println!("cargo:rerun-if-env-changed=KHARDEN_COMMIT");
    if let Ok(c) = std::env::var("KHARDEN_COMMIT") {
        if !c.trim().is_empty() {
            return c.trim().to_string();
        }
    }
    let git = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(manifest)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".to_string();
    };
    for (flag, file) in [("--git-dir", "HEAD"), ("--git-common-dir", "packed-refs")] {
        if let Some(dir) = git(&["rev-parse", flag]) {
            println!(
                "cargo:rerun-if-changed={}",
                manifest.join(dir).join(file).display()
            );
        }
    }
    if let (Some(dir), Some(head)) = (
        git(&["rev-parse", "--git-common-dir"]),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ) {
        println!(
            "cargo:rerun-if-changed={}",
            manifest.join(dir).join(head).display()
        );
    }
    commit
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rustc-env=KHARDEN_COMMIT={}", git_commit(&manifest));
    let policies = manifest.join("policies");
    for f in [
        "policy/check.rs",
        "policy/compile.rs",
        "policy/def.rs",
        "policy/diag.rs",
        "policy/full_files.rs",
        "policy/load.rs",
        "policy/profiles.rs",
        "policy/remedy.rs",
        "policy/rule.rs",
        "probe/kinds.rs",
        "probe/taint.rs",
    ] {
        println!("cargo:rerun-if-changed=src/{f}");
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
            match compile::parse_rules(&format!("policies/{file}"), text) {
                Ok(rules) => {
                    for r in &rules {
                        r.bake(&mut body);
                        body.push_str(",\n");
                    }
                }
                // Broken: run time compiles the profile and reports the problem where it is.
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
         use crate::policy::{{Blocks, Bound, Check, Cmp, Leaf, OnAbsent, Operand, Remedy, Rule, Severity, Shortcut, Status}};\n\
         use crate::policy::remedy::{{Change, Part}};\n\
         use crate::probe::kinds::{{BlockerKind, Lockdown, RuntimeFact, SourceKind}};\n\
         {statics}\n\
         pub fn static_profile(name: &str) -> Option<&'static [Rule]> {{\n    match name {{\n{arms}        _ => None,\n    }}\n}}\n}}\n"
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_rules.rs"), code).expect("write builtin_rules.rs");
}
