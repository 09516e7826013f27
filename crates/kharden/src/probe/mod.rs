//! Probe: read facts, and only facts, from a root (live host or snapshot) or from files given
//! on the command line. Nothing here writes, mounts or prints.

pub mod cmdline;
pub mod defaults;
pub mod facts;
pub mod host;
pub mod image;
pub mod kconfig;
pub mod kinds;
pub mod readiness;
pub mod runtime;
pub mod snapshot;
pub mod sysctl;
pub mod taint;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use facts::*;

use self::cmdline::Cmdline;
use self::kconfig::KConfig;
use self::sysctl::SysctlDump;
use crate::files::root::{self, io_reason, read_regular, Root};

/// What to read. `live = false` means: only the files named here.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub root: PathBuf,
    pub config: Option<PathBuf>,
    pub cmdline: Option<PathBuf>,
    pub sysctl: Option<PathBuf>,
    pub live: bool,
}

pub use crate::files::InputError;

fn input_err(path: &Path, problem: impl Into<String>) -> InputError {
    InputError::new(path, problem)
}

/// Sysctls every audit reads, whatever the rules, because runtime facts are derived from them.
pub const BASE_SYSCTLS: &[&str] = &[
    "kernel.kptr_restrict",
    "kernel.perf_event_paranoid",
    "kernel.tainted",
];

/// Read every fact an audit needs: the kernel config, the command line, the sysctls the rules
/// name (`wanted_sysctls`, plus [`BASE_SYSCTLS`]) and the runtime state, live under the root or
/// offline from the files given.
pub fn read_facts(
    opts: &ProbeOptions,
    wanted_sysctls: &BTreeSet<String>,
) -> Result<Facts, InputError> {
    read_facts_in(&Root::open_any(&opts.root)?, opts, wanted_sysctls)
}

/// [`read_facts`] under a root already opened (a snapshot archive is then read once).
pub fn read_facts_in(
    root: &Root,
    opts: &ProbeOptions,
    wanted_sysctls: &BTreeSet<String>,
) -> Result<Facts, InputError> {
    let root = root.clone();
    if opts.live && !root.is_usable() {
        return Err(input_err(&opts.root, "not a directory"));
    }
    let mut sources = Vec::new();
    let mut warnings = Vec::new();

    // Kernel release: needed to find the config.
    let release = if opts.live {
        image::running_release(&root)
    } else {
        None
    };

    // Kernel config.
    let (kconfig, kconfig_origin, kconfig_file) =
        read_kconfig(opts, &root, release.as_deref(), &mut sources)?;
    if let Ok(cfg) = &kconfig {
        warnings.extend(
            cfg.warnings
                .iter()
                .map(|w| format!("{kconfig_origin}: {w}")),
        );
    }

    // Architecture and version: from the config, else from the live kernel.
    let live_arch = if opts.live {
        root.read_text("/proc/sys/kernel/arch")
            .ok()
            .map(|a| kconfig::normalize_arch(&a))
            .or_else(|| {
                root.is_host()
                    .then(|| kconfig::normalize_arch(std::env::consts::ARCH))
            })
    } else {
        None
    };
    let cfg_arch = kconfig.as_ref().ok().and_then(|c| c.arch.clone());
    if let (Some(c), Some(l)) = (&cfg_arch, &live_arch) {
        if c != l {
            if let Some(path) = &opts.config {
                return Err(input_err(
                    path,
                    format!("config is for {c} but the running kernel is {l}; use --no-live to audit it offline"),
                ));
            }
            warnings.push(format!(
                "{kconfig_origin}: config is for {c} but the running kernel is {l}"
            ));
        }
    }
    let arch = cfg_arch.or(live_arch);
    let version = release
        .as_deref()
        .and_then(kconfig::parse_version)
        .or_else(|| kconfig.as_ref().ok().and_then(|c| c.version));
    if let (Some(rel), Some(cv)) = (
        release.as_deref().and_then(kconfig::parse_version),
        kconfig.as_ref().ok().and_then(|c| c.version),
    ) {
        if (rel.0, rel.1) != (cv.0, cv.1) {
            warnings.push(format!(
                "{kconfig_origin}: config is for Linux {}.{} but the running kernel is {}",
                cv.0,
                cv.1,
                release.as_deref().unwrap_or("?")
            ));
        }
    }

    // Command line.
    let cmdline = read_cmdline(opts, &root, &mut sources)?;

    // Sysctls.
    // Borrowed from the caller's set: copying a profile's few hundred keys was a measurable
    // part of an audit.
    let keys: Vec<&str> = wanted_sysctls
        .iter()
        .map(String::as_str)
        .chain(
            BASE_SYSCTLS
                .iter()
                .copied()
                .filter(|k| !wanted_sysctls.contains(*k)),
        )
        .collect();
    let sysctl = read_sysctls(
        opts,
        &root,
        &keys,
        kconfig.as_ref().ok(),
        cmdline.cmdline(),
        &mut sources,
        &mut warnings,
    )?;

    // Runtime state.
    let ctx = runtime::Context {
        kconfig: kconfig.as_ref().ok(),
        cmdline: cmdline.cmdline(),
        sysctl: &sysctl,
        arch: arch.as_deref(),
    };
    let runtime = if opts.live {
        // The owner of /proc/self is this process's effective uid (no libc call needed).
        let euid = if root.is_host() {
            std::fs::metadata("/proc/self")
                .ok()
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        } else {
            None
        };
        sources.push(SourceRecord {
            kind: SourceKind::Runtime.into(),
            origin: root_origin(&root, "/sys, /proc"),
            status: SourceStatus::Read,
            detail: None,
        });
        runtime::read_live(&root, &ctx, euid)
    } else {
        sources.push(SourceRecord {
            kind: SourceKind::Runtime.into(),
            origin: "live state".into(),
            status: SourceStatus::NotUsed,
            detail: Some("--no-live: runtime state is judged by the build-time defaults".into()),
        });
        runtime::derive_offline(&ctx)
    };

    Ok(Facts {
        kernel: KernelInfo {
            release,
            arch,
            version,
        },
        live: opts.live,
        sources,
        kconfig,
        kconfig_origin,
        files: FileRefs {
            kconfig: kconfig_file,
            cmdline: match (&opts.cmdline, &cmdline) {
                (Some(p), _) => Some(FileRef::Named(p.display().to_string())),
                (None, CmdlineFact::Known { .. }) => Some(FileRef::InRoot(runtime::CMDLINE.into())),
                _ => None,
            },
            sysctl: opts
                .sysctl
                .as_ref()
                .map(|p| FileRef::Named(p.display().to_string())),
            root_is_host: root.is_host(),
        },
        cmdline,
        sysctl,
        runtime,
        warnings,
    })
}

fn root_origin(root: &Root, what: &str) -> String {
    if root.is_host() {
        what.to_string()
    } else {
        format!("{what} under {}", root.dir().display())
    }
}

/// Read a file the user named: every problem is an input error naming the file.
fn read_named(path: &Path) -> Result<Vec<u8>, InputError> {
    read_regular(path, root::MAX_FILE_BYTES).map_err(|e| input_err(path, io_reason(&e)))
}

/// The config (or why there is none), where it came from in words, and the file.
type KconfigRead = (Result<KConfig, String>, String, Option<FileRef>);

fn read_kconfig(
    opts: &ProbeOptions,
    root: &Root,
    release: Option<&str>,
    sources: &mut Vec<SourceRecord>,
) -> Result<KconfigRead, InputError> {
    let record = |origin: &str, status, detail: Option<String>| SourceRecord {
        kind: SourceKind::Kconfig.into(),
        origin: origin.to_string(),
        status,
        detail,
    };
    if let Some(path) = &opts.config {
        let raw = read_named(path)?;
        let (cfg, format) = KConfig::from_vec(raw).map_err(|e| input_err(path, e.to_string()))?;
        let origin = crate::files::root::shown(path);
        sources.push(record(
            &origin,
            SourceStatus::Read,
            Some(format!("{} format, {} options", format.name(), cfg.len())),
        ));
        let named = FileRef::Named(origin.clone());
        return Ok((Ok(cfg), origin, Some(named)));
    }
    if !opts.live {
        let reason = "no kernel config given (--config)".to_string();
        sources.push(record(
            "--config",
            SourceStatus::NotUsed,
            Some(reason.clone()),
        ));
        return Ok((Err(reason.clone()), reason, None));
    }
    let mut candidates = vec!["/proc/config.gz".to_string()];
    if let Some(rel) = release {
        candidates.extend(image::config_candidates(rel));
    }
    let mut tried = Vec::new();
    for cand in &candidates {
        match root.read(cand) {
            Ok(raw) => match KConfig::from_vec(raw) {
                Ok((cfg, format)) => {
                    let origin = root_origin(root, cand);
                    sources.push(record(
                        &origin,
                        SourceStatus::Read,
                        Some(format!("{} format, {} options", format.name(), cfg.len())),
                    ));
                    return Ok((Ok(cfg), origin, Some(FileRef::InRoot(cand.clone()))));
                }
                Err(e) => {
                    let origin = root_origin(root, cand);
                    sources.push(record(
                        &origin,
                        SourceStatus::Unreadable,
                        Some(e.to_string()),
                    ));
                    tried.push(format!("{cand}: {e}"));
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tried.push(format!("{cand}: not found"))
            }
            Err(e) => {
                let origin = root_origin(root, cand);
                sources.push(record(
                    &origin,
                    SourceStatus::Unreadable,
                    Some(io_reason(&e)),
                ));
                tried.push(format!("{cand}: {}", io_reason(&e)));
            }
        }
    }
    if release.is_none() {
        tried.push("kernel release unknown: /proc/sys/kernel/osrelease unreadable".into());
    }
    let reason = format!("no kernel config found ({})", tried.join("; "));
    if !sources.iter().any(|s| s.kind == SourceKind::Kconfig) {
        sources.push(record(
            "kernel config",
            SourceStatus::Missing,
            Some(reason.clone()),
        ));
    }
    Ok((Err(reason.clone()), reason, None))
}

fn read_cmdline(
    opts: &ProbeOptions,
    root: &Root,
    sources: &mut Vec<SourceRecord>,
) -> Result<CmdlineFact, InputError> {
    let record = |origin: String, status, detail: Option<String>| SourceRecord {
        kind: SourceKind::Cmdline.into(),
        origin,
        status,
        detail,
    };
    if let Some(path) = &opts.cmdline {
        let raw = read_named(path)?;
        if raw.contains(&0) {
            return Err(input_err(path, "binary data, not a kernel command line"));
        }
        let text = String::from_utf8_lossy(&raw);
        let origin = crate::files::root::shown(path);
        sources.push(record(origin.clone(), SourceStatus::Read, None));
        return Ok(CmdlineFact::Known {
            cmdline: Cmdline::parse(&text),
            origin,
        });
    }
    if !opts.live {
        let reason = "no command line given: judged as empty (build-time defaults)".to_string();
        sources.push(record(
            "--cmdline".into(),
            SourceStatus::NotUsed,
            Some(reason.clone()),
        ));
        return Ok(CmdlineFact::Default { reason });
    }
    let origin = root_origin(root, runtime::CMDLINE);
    match root.read_text(runtime::CMDLINE) {
        Ok(text) => {
            sources.push(record(origin.clone(), SourceStatus::Read, None));
            Ok(CmdlineFact::Known {
                cmdline: Cmdline::parse(&text),
                origin,
            })
        }
        Err(e) => {
            let (status, reason) = if e.kind() == std::io::ErrorKind::NotFound {
                (
                    SourceStatus::Missing,
                    "not found (is /proc mounted?)".to_string(),
                )
            } else {
                (SourceStatus::Unreadable, io_reason(&e))
            };
            sources.push(record(origin.clone(), status, Some(reason.clone())));
            Ok(CmdlineFact::Unknown {
                reason: format!("{origin}: {reason}"),
            })
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn read_sysctls(
    opts: &ProbeOptions,
    root: &Root,
    keys: &[&str],
    cfg: Option<&KConfig>,
    cmdline: Option<&Cmdline>,
    sources: &mut Vec<SourceRecord>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, Value>, InputError> {
    let mut out = BTreeMap::new();
    if let Some(path) = &opts.sysctl {
        let raw = read_named(path)?;
        let dump = SysctlDump::parse(&raw).map_err(|e| input_err(path, e.to_string()))?;
        let origin = crate::files::root::shown(path);
        warnings.extend(dump.warnings.iter().map(|w| format!("{origin}: {w}")));
        sources.push(SourceRecord {
            kind: SourceKind::Sysctl.into(),
            origin: origin.clone(),
            status: SourceStatus::Read,
            detail: Some(format!("{} values", dump.values.len())),
        });
        for key in keys {
            let v = match dump.values.get(*key) {
                Some(v) => Value::known(v.clone(), origin.clone()),
                None => Value::unknown(format!("{key} is not in {origin}")),
            };
            out.insert(key.to_string(), v);
        }
        return Ok(out);
    }
    if !opts.live {
        sources.push(SourceRecord {
            kind: SourceKind::Sysctl.into(),
            origin: "--sysctl".into(),
            status: SourceStatus::NotUsed,
            detail: Some("no sysctl dump given: judged by build-time defaults".into()),
        });
        for key in keys {
            out.insert(key.to_string(), defaults::sysctl_default(key, cfg, cmdline));
        }
        return Ok(out);
    }
    let proc_sys_ok = root.exists("/proc/sys/kernel");
    sources.push(SourceRecord {
        kind: SourceKind::Sysctl.into(),
        origin: root_origin(root, "/proc/sys"),
        status: if proc_sys_ok {
            SourceStatus::Read
        } else {
            SourceStatus::Missing
        },
        detail: (!proc_sys_ok).then(|| "no /proc/sys (is /proc mounted?)".to_string()),
    });
    for key in keys {
        let rel = sysctl::proc_path(key);
        let v = if !proc_sys_ok {
            Value::unknown("no /proc/sys (is /proc mounted?)")
        } else {
            match root.read_text(&rel) {
                Ok(text) => Value::known(sysctl::normalize_value(&text), Root::display(&rel)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Absent {
                    origin: format!(
                        "{} does not exist: the feature is not built into this kernel",
                        Root::display(&rel)
                    ),
                },
                Err(e) => Value::unknown(format!("{}: {}", Root::display(&rel), io_reason(&e))),
            }
        };
        out.insert(key.to_string(), v);
    }
    Ok(out)
}

/// Serialise a struct whose `key` field is spelled by its `source` (`CONFIG_X` for kconfig):
/// `#[serde(serialize_with)]` cannot see a sibling field, so the struct is written by hand.
macro_rules! keyed_by_source {
    ($t:ty, $name:literal, [$($field:ident),*]) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct as _;
                let fields = [$(stringify!($field)),*].len();
                let mut st = s.serialize_struct($name, 2 + fields)?;
                st.serialize_field("source", &self.source)?;
                st.serialize_field("key", &*self.source.spelled_key(&self.key))?;
                $(st.serialize_field(stringify!($field), &self.$field)?;)*
                st.end()
            }
        }
    };
}
pub(crate) use keyed_by_source;
