//! Compile the built-in rule files (`policies/`) into Rust values at build time.
//!
//! Parsing the `full` profile's ~300 KB of TOML took two thirds of a run. Here each file is read
//! with the same serde definitions the binary uses (`src/policy/def.rs`) and written out as a
//! Rust expression; the binary still validates every definition with `compile_rules` and
//! reports problems by file:line:column (the offset of each rule is kept). A file this script
//! cannot parse is left out, and the binary parses it at run time and reports why.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/policy/def.rs"]
#[allow(dead_code)]
mod def;

use def::{CheckDef, OnAbsent, RemedyDef, RuleDef, Severity, ShortcutDef, Status};

#[derive(serde::Deserialize)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleDef>>,
}

/// Writes a value as a Rust expression of its type; `Err` for what cannot be written.
trait Emit {
    fn emit(&self, o: &mut String) -> Result<(), String>;
}

impl Emit for String {
    fn emit(&self, o: &mut String) -> Result<(), String> {
        write!(o, "String::from({self:?})").map_err(|e| e.to_string())
    }
}

impl Emit for def::Text {
    fn emit(&self, o: &mut String) -> Result<(), String> {
        write!(o, "std::borrow::Cow::Borrowed({:?})", self.as_ref()).map_err(|e| e.to_string())
    }
}

impl<T: Emit> Emit for Option<T> {
    fn emit(&self, o: &mut String) -> Result<(), String> {
        match self {
            None => o.push_str("None"),
            Some(v) => {
                o.push_str("Some(");
                v.emit(o)?;
                o.push(')');
            }
        }
        Ok(())
    }
}

impl<T: Emit> Emit for Vec<T> {
    fn emit(&self, o: &mut String) -> Result<(), String> {
        o.push_str("vec![");
        for v in self {
            v.emit(o)?;
            o.push(',');
        }
        o.push(']');
        Ok(())
    }
}

impl Emit for toml::Value {
    fn emit(&self, o: &mut String) -> Result<(), String> {
        match self {
            toml::Value::Integer(i) => write!(o, "toml::Value::Integer({i})").unwrap(),
            toml::Value::String(s) => {
                write!(o, "toml::Value::String(String::from({s:?}))").unwrap()
            }
            other => {
                return Err(format!(
                    "a bound of type {} is not precompiled",
                    other.type_str()
                ))
            }
        }
        Ok(())
    }
}

macro_rules! emit_enum {
    ($ty:ident { $($v:ident),* }) => {
        impl Emit for $ty {
            fn emit(&self, o: &mut String) -> Result<(), String> {
                match self {
                    $($ty::$v => o.push_str(concat!("super::def::", stringify!($ty), "::", stringify!($v))),)*
                }
                Ok(())
            }
        }
    };
}
emit_enum!(Severity {
    Low,
    Medium,
    High,
    Critical
});
emit_enum!(Status {
    Pass,
    Fail,
    Unknown,
    NotApplicable
});
emit_enum!(OnAbsent {
    Compare,
    Pass,
    Fail,
    Unknown
});

macro_rules! emit_struct {
    ($ty:ident { $($f:ident),* }) => {
        impl Emit for $ty {
            fn emit(&self, o: &mut String) -> Result<(), String> {
                o.push_str(concat!("super::def::", stringify!($ty), " {"));
                $(
                    o.push_str(concat!(stringify!($f), ": "));
                    self.$f.emit(o)?;
                    o.push_str(",\n");
                )*
                o.push('}');
                Ok(())
            }
        }
    };
}
emit_struct!(RuleDef {
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
    shortcut,
    check,
    remedy
});
emit_struct!(ShortcutDef {
    when,
    status,
    reason
});
emit_struct!(RemedyDef { source, text });
emit_struct!(CheckDef {
    any,
    all,
    kconfig,
    cmdline,
    sysctl,
    runtime,
    is,
    one_of,
    none_of,
    at_least,
    at_most,
    contains,
    taint_clear,
    absent,
    arch,
    min_version,
    max_version,
    note
});

/// The Rust function body for one file, or why it is left to run time.
fn compile_file(text: &str) -> Result<String, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut o = String::from("vec![");
    for spanned in file.rule {
        write!(o, "({}, ", spanned.span().start).unwrap();
        spanned.get_ref().emit(&mut o)?;
        o.push_str("),\n");
    }
    o.push(']');
    Ok(o)
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let policies = manifest.join("../../policies");
    println!("cargo:rerun-if-changed=src/policy/def.rs");
    println!("cargo:rerun-if-changed={}", policies.display());
    println!("cargo:rerun-if-changed={}", policies.join("full").display());

    let mut fns = String::new();
    let mut arms = String::new();
    for (prefix, dir) in [("", policies.clone()), ("full/", policies.join("full"))] {
        for path in toml_files(&dir) {
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = format!(
                "{prefix}{}",
                path.file_name().expect("a file").to_string_lossy()
            );
            // A file that does not parse here is not a rule file (khc-differences.toml) or a
            // broken one: run time parses it and reports the problem with its location (the
            // tests load every profile).
            if let Ok(body) = compile_file(&text) {
                let f = format!("rules_{}", arms.lines().count());
                writeln!(
                    fns,
                    "fn {f}() -> Vec<(usize, super::def::RuleDef)> {{ {body} }}"
                )
                .unwrap();
                writeln!(arms, "{name:?} => Some({f}()),").unwrap();
            }
        }
    }
    let code = format!(
        "{fns}\n#[allow(clippy::all)]\nfn precompiled(name: &str) -> Option<Vec<(usize, super::def::RuleDef)>> {{\n    match name {{\n{arms}        _ => None,\n    }}\n}}\n"
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_rules.rs"), code).expect("write builtin_rules.rs");
}
