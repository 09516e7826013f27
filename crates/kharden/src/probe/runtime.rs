//! Live kernel state (lockdown, module signature enforcement, Secure Boot, KASLR, pointer
//! visibility, LSMs) read from securityfs, sysfs, efivarfs and procfs under a root, or derived
//! from the build configuration and command line when auditing offline. Paths, formats and
//! semantics: see docs/audit-facts.md.

use std::collections::BTreeMap;

use super::cmdline::{kstrtobool, Cmdline};
use super::facts::{Lockdown, Reading, RuntimeFact, Value};
use super::kconfig::KConfig;
use crate::files::root::{io_reason, Root};

pub const LOCKDOWN: &str = "/sys/kernel/security/lockdown";
pub const LSM: &str = "/sys/kernel/security/lsm";
pub const SIG_ENFORCE: &str = "/sys/module/module/parameters/sig_enforce";
pub const EFI_DIR: &str = "/sys/firmware/efi";
pub const SECURE_BOOT_VAR: &str =
    "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
pub const SETUP_MODE_VAR: &str =
    "/sys/firmware/efi/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c";
pub const MOK_SB_STATE_VAR: &str =
    "/sys/firmware/efi/efivars/MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23";
pub const BOOT_PARAMS: &str = "/sys/kernel/boot_params/data";
pub const KALLSYMS: &str = "/proc/kallsyms";
pub const CMDLINE: &str = "/proc/cmdline";
/// IPE's securityfs directory (security/ipe/fs.c): `enforce`, and one directory per loaded
/// policy under `policies/` whose `active` file reads 1 for the active one (policy_fs.c).
pub const IPE_DIR: &str = "/sys/kernel/security/ipe";
pub const IPE_ENFORCE: &str = "/sys/kernel/security/ipe/enforce";
pub const IPE_POLICIES: &str = "/sys/kernel/security/ipe/policies";
/// Most policy directories looked at (a kernel holds a few; a hostile tree may hold many).
pub const IPE_MAX_POLICIES: usize = 256;
pub const KCORE: &str = "/proc/kcore";

/// `boot_params.secure_boot` (arch/x86/include/uapi/asm/bootparam.h).
const BP_SECURE_BOOT: usize = 0x1ec;
/// `boot_params.hdr.loadflags`; bit 1 is KASLR_FLAG.
const BP_LOADFLAGS: usize = 0x211;
const KASLR_FLAG: u8 = 1 << 1;

/// The path a runtime fact is read from when nothing more precise is known.
pub fn default_path(fact: RuntimeFact) -> &'static str {
    match fact {
        RuntimeFact::Lockdown => LOCKDOWN,
        RuntimeFact::Lsm => LSM,
        RuntimeFact::SigEnforce => SIG_ENFORCE,
        RuntimeFact::SecureBoot => SECURE_BOOT_VAR,
        RuntimeFact::Kaslr | RuntimeFact::Kallsyms => KALLSYMS,
        RuntimeFact::Ipe => IPE_DIR,
    }
}

/// `none [integrity] confidentiality` → `integrity`.
pub fn parse_lockdown(text: &str) -> Option<Lockdown> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')))
        .and_then(|l| l.parse().ok())
}

/// The level a kernel boots with before userspace can raise it: the Kconfig choice, raised
/// by every valid `lockdown=` argument (the kernel only ever raises it).
pub fn boot_lockdown(cfg: Option<&KConfig>, cmdline: Option<&Cmdline>) -> (Lockdown, String) {
    let mut level = Lockdown::None;
    let mut origin = "no LOCK_DOWN_KERNEL_FORCE_INTEGRITY/CONFIDENTIALITY".to_string();
    if let Some(cfg) = cfg {
        if cfg.enabled("LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY") {
            level = Lockdown::Confidentiality;
            origin = "CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY=y".into();
        } else if cfg.enabled("LOCK_DOWN_KERNEL_FORCE_INTEGRITY") {
            level = Lockdown::Integrity;
            origin = "CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y".into();
        }
    }
    if let Some(c) = cmdline {
        for p in c.all("lockdown") {
            let v = p.value.as_deref().unwrap_or("");
            // lockdown= accepts only integrity and confidentiality; anything else is -EINVAL
            // and ignored.
            match v.parse::<Lockdown>() {
                Ok(l) if l != Lockdown::None && l > level => {
                    level = l;
                    origin = format!("command line lockdown={v}");
                }
                _ => {}
            }
        }
    }
    (level, origin)
}

/// Whether the boot configuration enforces module signatures before userspace runs.
fn boot_sig_enforce(cfg: &KConfig, cmdline: Option<&Cmdline>) -> (bool, String) {
    if cfg.enabled("MODULE_SIG_FORCE") {
        return (true, "CONFIG_MODULE_SIG_FORCE=y".into());
    }
    if let Some(p) = cmdline.and_then(|c| c.last("module.sig_enforce")) {
        // bool_enable_only: a false value cannot clear the build default.
        if kstrtobool(p.value.as_deref()) == Some(true) {
            return (true, "command line module.sig_enforce".into());
        }
    }
    (false, "CONFIG_MODULE_SIG_FORCE is not set".into())
}

/// The LSM list the kernel would initialise: `lsm=` (or CONFIG_LSM), keeping only LSMs built in.
fn boot_lsm_list(cfg: &KConfig, cmdline: Option<&Cmdline>) -> (String, String) {
    let (list, origin) = match cmdline
        .and_then(|c| c.last("lsm"))
        .and_then(|p| p.value.clone())
    {
        Some(v) => (v, "command line lsm=".to_string()),
        None => (
            cfg.get("LSM").unwrap_or("").to_string(),
            "CONFIG_LSM".to_string(),
        ),
    };
    let built = |name: &str| -> bool {
        let opt = match name {
            "lockdown" => "SECURITY_LOCKDOWN_LSM",
            "yama" => "SECURITY_YAMA",
            "loadpin" => "SECURITY_LOADPIN",
            "safesetid" => "SECURITY_SAFESETID",
            "integrity" => "INTEGRITY",
            "apparmor" => "SECURITY_APPARMOR",
            "selinux" => "SECURITY_SELINUX",
            "smack" => "SECURITY_SMACK",
            "tomoyo" => "SECURITY_TOMOYO",
            "bpf" => "BPF_LSM",
            "landlock" => "SECURITY_LANDLOCK",
            "ipe" => "SECURITY_IPE",
            "ima" => "IMA",
            "evm" => "EVM",
            _ => return true,
        };
        cfg.enabled(opt)
    };
    let mut active: Vec<&str> = vec![];
    if cfg.enabled("SECURITY") {
        active.push("capability");
    }
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if built(name) && !active.contains(&name) {
            active.push(name);
        }
    }
    (
        active.join(","),
        format!("derived from {origin} and the LSMs built in"),
    )
}

/// x86_64 link-time address of `_text`: __START_KERNEL_map + ALIGN(PHYSICAL_START, PHYSICAL_ALIGN).
fn x86_64_link_text(cfg: Option<&KConfig>) -> u64 {
    let num = |name: &str, default: u64| {
        cfg.and_then(|c| c.get(name))
            .and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
            .unwrap_or(default)
    };
    let start = num("PHYSICAL_START", 0x100_0000);
    let align = num("PHYSICAL_ALIGN", 0x20_0000).max(1);
    0xffff_ffff_8000_0000u64 + start.div_ceil(align) * align
}

/// arm64 link-time address of `_text`: KIMAGE_VADDR = MODULES_END = _PAGE_END(VA_BITS_MIN) +
/// MODULES_VSIZE (arch/arm64/include/asm/memory.h), with the 2 GiB module region of Linux 6.5
/// and later; VA_BITS_MIN is 48 above 48-bit VAs (47 with 16K pages). `None` before 6.5 (a
/// 128 MiB module region and, in older kernels, the BPF JIT region before it) and without a
/// config. Checked against Debian's 7.2 arm64 kernel: nokaslr runs it at 0xffff800080000000, and
/// a randomised boot's KERNELOFFSET (VMCOREINFO) is `_text` minus that address.
fn arm64_link_text(cfg: Option<&KConfig>) -> Option<u64> {
    let cfg = cfg?;
    let (major, minor, _) = cfg.version?;
    if (major, minor) < (6, 5) {
        return None;
    }
    let va_bits: u32 = cfg.get("ARM64_VA_BITS")?.parse().ok()?;
    let va_min = match va_bits {
        b if b > 48 && cfg.enabled("ARM64_16K_PAGES") => 47,
        b if b > 48 => 48,
        b @ 36..=48 => b,
        _ => return None,
    };
    // _PAGE_END(va) = -(1 << (va - 1)); MODULES_VSIZE = SZ_2G
    Some(0u64.wrapping_sub(1u64 << (va_min - 1)) + (2u64 << 30))
}

/// Inputs shared by the live reader and the offline derivation.
pub struct Context<'a> {
    pub kconfig: Option<&'a KConfig>,
    pub cmdline: Option<&'a Cmdline>,
    pub sysctl: &'a BTreeMap<String, Value>,
    pub arch: Option<&'a str>,
}

fn fact(path: &str, value: Value) -> Reading {
    Reading {
        path: path.to_string(),
        value,
    }
}

/// Offline: what the kernel does at boot when nothing changes it, from config and command line.
pub fn derive_offline(ctx: &Context) -> BTreeMap<RuntimeFact, Reading> {
    let mut out = BTreeMap::new();
    let no_cfg = "no kernel config given";
    let Some(cfg) = ctx.kconfig else {
        for name in <RuntimeFact as strum::IntoEnumIterator>::iter() {
            out.insert(
                name,
                fact(
                    default_path(name),
                    Value::unknown(format!("{no_cfg} and no live state read")),
                ),
            );
        }
        return out;
    };
    let bd = |s: String| format!("build-time default: {s}");

    // Lockdown.
    let lockdown = if !cfg.enabled("SECURITY_LOCKDOWN_LSM") {
        Value::Absent {
            origin: "CONFIG_SECURITY_LOCKDOWN_LSM is not set".into(),
        }
    } else {
        let (level, origin) = boot_lockdown(Some(cfg), ctx.cmdline);
        let mut origin = bd(origin);
        if level == Lockdown::None && cfg.enabled("LOCK_DOWN_IN_EFI_SECURE_BOOT") {
            origin.push_str(
                "; integrity only if booted with Secure Boot (LOCK_DOWN_IN_EFI_SECURE_BOOT)",
            );
        }
        Value::known(level.as_str(), origin)
    };
    out.insert(RuntimeFact::Lockdown, fact(LOCKDOWN, lockdown));

    let lsm = if cfg.enabled("SECURITY") {
        let (list, origin) = boot_lsm_list(cfg, ctx.cmdline);
        Value::known(list, bd(origin))
    } else {
        Value::Absent {
            origin: "CONFIG_SECURITY is not set".into(),
        }
    };
    out.insert(RuntimeFact::Lsm, fact(LSM, lsm));

    let sig = if !cfg.enabled("MODULE_SIG") {
        Value::Absent {
            origin: "CONFIG_MODULE_SIG is not set".into(),
        }
    } else {
        let (on, origin) = boot_sig_enforce(cfg, ctx.cmdline);
        Value::known(if on { "Y" } else { "N" }, bd(origin))
    };
    out.insert(RuntimeFact::SigEnforce, fact(SIG_ENFORCE, sig));

    out.insert(
        RuntimeFact::SecureBoot,
        fact(
            SECURE_BOOT_VAR,
            Value::unknown("firmware state: only visible on a live host or snapshot"),
        ),
    );

    let kaslr = kaslr_from_boot_config(ctx).unwrap_or_else(|| {
        Value::known(
            "in_effect",
            bd("CONFIG_RANDOMIZE_BASE=y and no nokaslr on the command line".into()),
        )
    });
    let kaslr_path = if ctx.arch.is_some_and(|a| a.starts_with("x86")) {
        BOOT_PARAMS
    } else {
        KALLSYMS
    };
    out.insert(RuntimeFact::Kaslr, fact(kaslr_path, kaslr));

    out.insert(
        RuntimeFact::Kallsyms,
        fact(KALLSYMS, kallsyms_from_sysctls(ctx.sysctl)),
    );
    out.insert(
        RuntimeFact::Ipe,
        fact(IPE_DIR, ipe_at_boot(cfg, ctx.cmdline)),
    );
    out
}

/// IPE as the kernel starts it: not running unless built and in the LSM list; the boot policy
/// compiled in (`CONFIG_IPE_BOOT_POLICY`) is active from the start, enforced unless
/// `ipe.enforce=0` (security/ipe/eval.c: `enforce` defaults to true).
fn ipe_at_boot(cfg: &KConfig, cmdline: Option<&Cmdline>) -> Value {
    if !cfg.enabled("SECURITY_IPE") {
        return Value::Absent {
            origin: "CONFIG_SECURITY_IPE is not set".into(),
        };
    }
    let (list, origin) = boot_lsm_list(cfg, cmdline);
    if !list.split(',').any(|l| l == "ipe") {
        return Value::Absent {
            origin: format!("ipe is not in the LSM list ({origin})"),
        };
    }
    let boot_policy = cfg.get("IPE_BOOT_POLICY").unwrap_or("");
    if boot_policy.is_empty() {
        return Value::known(
            "no_policy",
            "build-time default: no CONFIG_IPE_BOOT_POLICY, so no policy until one is loaded",
        );
    }
    match cmdline.and_then(|c| c.last("ipe.enforce")) {
        Some(p) if kstrtobool(p.value.as_deref()) == Some(false) => Value::known(
            "permissive",
            "build-time default: CONFIG_IPE_BOOT_POLICY, with ipe.enforce=0 on the command line",
        ),
        _ => Value::known(
            "enforcing",
            "build-time default: CONFIG_IPE_BOOT_POLICY is active and enforced from boot",
        ),
    }
}

/// `off` when the build or the command line rules KASLR out; `None` when they allow it.
fn kaslr_from_boot_config(ctx: &Context) -> Option<Value> {
    if let Some(c) = ctx.cmdline {
        if c.last("nokaslr").is_some() {
            return Some(Value::known("off", "nokaslr on the command line"));
        }
    }
    match ctx.kconfig {
        Some(cfg) if !cfg.enabled("RANDOMIZE_BASE") => {
            Some(Value::known("off", "CONFIG_RANDOMIZE_BASE is not set"))
        }
        _ => None,
    }
}

/// What `/proc/kallsyms` shows a reader without CAP_SYSLOG (kallsyms_show_value()):
/// addresses only when kptr_restrict is 0 and perf_event_paranoid <= 1.
fn kallsyms_from_sysctls(sysctl: &BTreeMap<String, Value>) -> Value {
    let get = |k: &str| sysctl.get(k).cloned().unwrap_or(Value::unknown("not read"));
    let kptr = get("kernel.kptr_restrict");
    let Some(kptr_v) = kptr.as_known().and_then(|v| v.parse::<i64>().ok()) else {
        return Value::unknown(format!(
            "kernel.kptr_restrict unknown ({})",
            describe(&kptr)
        ));
    };
    if kptr_v >= 1 {
        return Value::known(
            "hidden",
            format!("derived: kernel.kptr_restrict={kptr_v} hides addresses from readers without CAP_SYSLOG"),
        );
    }
    let paranoid = get("kernel.perf_event_paranoid");
    match paranoid.as_known().and_then(|v| v.parse::<i64>().ok()) {
        Some(p) if p <= 1 => Value::known(
            "visible",
            format!("derived: kernel.kptr_restrict=0 and kernel.perf_event_paranoid={p} (<= 1) show addresses to everyone"),
        ),
        Some(p) => Value::known(
            "hidden",
            format!("derived: kernel.kptr_restrict=0 but kernel.perf_event_paranoid={p} (>= 2) hides kallsyms addresses"),
        ),
        None if matches!(paranoid, Value::Absent { .. }) => Value::known(
            "hidden",
            "derived: kernel.kptr_restrict=0 and no perf events: addresses need CAP_SYSLOG",
        ),
        None => Value::unknown(format!(
            "kernel.perf_event_paranoid unknown ({})",
            describe(&paranoid)
        )),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Known { value, origin } => format!("{value} from {origin}"),
        Value::Absent { origin } => format!("absent: {origin}"),
        Value::Unknown { reason } => reason.clone(),
    }
}

/// Live: read every runtime fact under `root`. `euid` is the auditing process's effective uid
/// when auditing this very host (so a direct observation of /proc/kallsyms means something).
pub fn read_live(root: &Root, ctx: &Context, euid: Option<u32>) -> BTreeMap<RuntimeFact, Reading> {
    let mut out = BTreeMap::new();
    let securityfs_mounted = root.exists(LSM) || root.is_dir_nonempty("/sys/kernel/security");
    let not_mounted = "securityfs not mounted: mount -t securityfs securityfs /sys/kernel/security";

    // Lockdown.
    let lockdown = match root.read_text(LOCKDOWN) {
        Ok(text) => match parse_lockdown(&text) {
            Some(level) => Value::known(level.as_str(), LOCKDOWN),
            None => Value::unknown(format!("unexpected content {:?}", clip(&text))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if securityfs_mounted {
                Value::Absent {
                    origin: "securityfs has no lockdown file: the Lockdown LSM is not active"
                        .into(),
                }
            } else if ctx
                .kconfig
                .is_some_and(|c| !c.enabled("SECURITY_LOCKDOWN_LSM"))
            {
                Value::Absent {
                    origin: "CONFIG_SECURITY_LOCKDOWN_LSM is not set".into(),
                }
            } else {
                // The level can only be raised after boot, so the boot level is a lower bound.
                let (level, origin) = boot_lockdown(ctx.kconfig, ctx.cmdline);
                if level != Lockdown::None && ctx.kconfig.is_some() {
                    Value::known(
                        level.as_str(),
                        format!("at least this, from {origin} ({not_mounted})"),
                    )
                } else {
                    Value::unknown(not_mounted)
                }
            }
        }
        Err(e) => Value::unknown(io_reason(&e)),
    };
    out.insert(RuntimeFact::Lockdown, fact(LOCKDOWN, lockdown));

    let lsm = match root.read_text(LSM) {
        Ok(text) => Value::known(text, LSM),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match ctx.kconfig {
            Some(cfg) if cfg.enabled("SECURITY") => {
                let (list, origin) = boot_lsm_list(cfg, ctx.cmdline);
                Value::known(list, format!("{origin} ({not_mounted})"))
            }
            Some(_) => Value::Absent {
                origin: "CONFIG_SECURITY is not set".into(),
            },
            None => Value::unknown(not_mounted),
        },
        Err(e) => Value::unknown(io_reason(&e)),
    };
    out.insert(RuntimeFact::Lsm, fact(LSM, lsm));

    let sig = match root.read_text(SIG_ENFORCE) {
        Ok(v) if v == "Y" || v == "N" => Value::known(v, SIG_ENFORCE),
        Ok(v) => Value::unknown(format!("unexpected content {:?}", clip(&v))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if root.exists("/sys/module") {
                Value::Absent {
                    origin:
                        "no sig_enforce parameter: the kernel is built without CONFIG_MODULE_SIG"
                            .into(),
                }
            } else {
                Value::unknown("sysfs not mounted: mount -t sysfs sysfs /sys")
            }
        }
        Err(e) => Value::unknown(io_reason(&e)),
    };
    out.insert(RuntimeFact::SigEnforce, fact(SIG_ENFORCE, sig));

    let (sb_path, sb) = secure_boot(root, ctx.arch);
    out.insert(RuntimeFact::SecureBoot, fact(sb_path, sb));

    let (kaslr_path, kaslr) = kaslr_live(root, ctx);
    out.insert(RuntimeFact::Kaslr, fact(kaslr_path, kaslr));

    out.insert(
        RuntimeFact::Kallsyms,
        fact(KALLSYMS, kallsyms_live(root, ctx, euid)),
    );
    let lsm_list = out.get(&RuntimeFact::Lsm).map(|r| r.value.clone());
    out.insert(
        RuntimeFact::Ipe,
        fact(
            IPE_DIR,
            ipe_live(root, lsm_list.as_ref(), securityfs_mounted),
        ),
    );
    out
}

/// IPE's state from securityfs: `enforcing` or `permissive` when a policy is active (its
/// `policies/NAME/active` reads 1, then `enforce`), `no_policy` when none is; absent when IPE
/// is not among the running LSMs. The files are mode 0600: other users get `unknown`.
fn ipe_live(root: &Root, lsm: Option<&Value>, securityfs_mounted: bool) -> Value {
    let lsm_names_ipe = match lsm {
        Some(Value::Known { value, .. }) => Some(value.split(',').any(|l| l.trim() == "ipe")),
        Some(Value::Absent { .. }) => Some(false),
        _ => None,
    };
    let names = match root.list_dir(IPE_POLICIES) {
        Ok(names) => names,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match (lsm_names_ipe, securityfs_mounted) {
                (Some(false), _) => Value::Absent {
                    origin: "ipe is not in the running LSM list".into(),
                },
                (Some(true), true) => Value::unknown(format!(
                    "the LSM list names ipe, but there is no {IPE_POLICIES} (a snapshot that did not capture it?)"
                )),
                (None, true) => Value::Absent {
                    origin: format!("securityfs has no {IPE_DIR}: IPE is not running"),
                },
                (_, false) => Value::unknown(
                    "securityfs not mounted: mount -t securityfs securityfs /sys/kernel/security",
                ),
            };
        }
        Err(e) => return Value::unknown(format!("{IPE_POLICIES}: {}", io_reason(&e))),
    };
    let mut names: Vec<String> = names
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.len() > IPE_MAX_POLICIES {
        return Value::unknown(format!(
            "{IPE_POLICIES}: {} entries, more than the {IPE_MAX_POLICIES} kharden reads",
            names.len()
        ));
    }
    let mut active = None;
    for name in &names {
        // A policy name is one path component in securityfs; anything else is not IPE's.
        if name.contains('/') || name == "." || name == ".." {
            continue;
        }
        let path = format!("{IPE_POLICIES}/{name}/active");
        // The name as a person reads it: a hostile tree's control characters are escaped.
        let shown = if name.chars().all(|c| c.is_ascii_graphic()) {
            path.clone()
        } else {
            format!("{IPE_POLICIES}/{}/active", name.escape_debug())
        };
        match root.read_text(&path) {
            Ok(v) if v == "1" => {
                active = Some(shown);
                break;
            }
            Ok(v) if v == "0" => {}
            Ok(v) => return Value::unknown(format!("{shown}: unexpected content {:?}", clip(&v))),
            Err(e) => return Value::unknown(format!("{shown}: {}", io_reason(&e))),
        }
    }
    let Some(active) = active else {
        return Value::known(
            "no_policy",
            format!(
                "{IPE_POLICIES}: {} polic(ies) loaded, none active: IPE allows everything",
                names.len()
            ),
        );
    };
    match root.read_text(IPE_ENFORCE) {
        Ok(v) if v == "1" => Value::known("enforcing", format!("{active} = 1, {IPE_ENFORCE} = 1")),
        Ok(v) if v == "0" => Value::known(
            "permissive",
            format!("{active} = 1, {IPE_ENFORCE} = 0: denials are only audited"),
        ),
        Ok(v) => Value::unknown(format!("{IPE_ENFORCE}: unexpected content {:?}", clip(&v))),
        Err(e) => Value::unknown(format!("{IPE_ENFORCE}: {}", io_reason(&e))),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// efivarfs `SecureBoot`/`SetupMode` (4 attribute bytes, then the value), shim's `MokSBStateRT`,
/// then on x86 the unprivileged `boot_params.secure_boot` byte.
fn secure_boot(root: &Root, arch: Option<&str>) -> (&'static str, Value) {
    if !root.exists(EFI_DIR) {
        // sysfs is mounted when /sys/kernel exists; then a missing efi directory is meaningful.
        if root.exists("/sys/kernel") {
            return (
                EFI_DIR,
                Value::known(
                    "not_efi",
                    "no /sys/firmware/efi: booted without UEFI, so Secure Boot cannot be on",
                ),
            );
        }
        return (
            EFI_DIR,
            Value::unknown("sysfs not mounted: mount -t sysfs sysfs /sys"),
        );
    }
    let var = |path: &str| -> Result<Option<(u32, u8)>, String> {
        match root.read_limited(path, 4096) {
            Ok(b) if b.len() >= 5 => Ok(Some((u32::from_le_bytes([b[0], b[1], b[2], b[3]]), b[4]))),
            Ok(b) => Err(format!("{path}: {} bytes, expected at least 5", b.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{path}: {}", io_reason(&e))),
        }
    };
    match var(SECURE_BOOT_VAR) {
        Ok(Some((_, sb))) => {
            let setup = var(SETUP_MODE_VAR).ok().flatten().map(|(_, v)| v);
            let mok = var(MOK_SB_STATE_VAR).ok().flatten();
            let value = if sb == 0 {
                Value::known("disabled", format!("{SECURE_BOOT_VAR} = 0"))
            } else if setup == Some(1) {
                Value::known(
                    "setup_mode",
                    format!(
                        "{SETUP_MODE_VAR} = 1: the platform is in setup mode, nothing is enforced"
                    ),
                )
            } else if let Some((attr, 1)) = mok.filter(|(attr, _)| attr & 1 == 0) {
                let _ = attr;
                Value::known(
                    "disabled",
                    format!("{MOK_SB_STATE_VAR} = 1: shim validation is disabled"),
                )
            } else {
                Value::known("enabled", format!("{SECURE_BOOT_VAR} = {sb}"))
            };
            return (SECURE_BOOT_VAR, value);
        }
        Ok(None) => {}
        Err(reason) => return (SECURE_BOOT_VAR, Value::unknown(reason)),
    }
    if arch.is_none_or(|a| a.starts_with("x86")) {
        if let Ok(bp) = root.read_limited(BOOT_PARAMS, 1 << 16) {
            if let Some(&b) = bp.get(BP_SECURE_BOOT) {
                let path = "/sys/kernel/boot_params/data[0x1ec]";
                return match b {
                    3 => (
                        BOOT_PARAMS,
                        Value::known(
                            "enabled",
                            format!("{path} = 3 (efi_secureboot_mode_enabled)"),
                        ),
                    ),
                    2 => (
                        BOOT_PARAMS,
                        Value::known(
                            "disabled",
                            format!("{path} = 2 (efi_secureboot_mode_disabled)"),
                        ),
                    ),
                    _ => (
                        BOOT_PARAMS,
                        Value::unknown(format!(
                            "{path} = {b}: firmware did not report a mode; efivarfs not mounted"
                        )),
                    ),
                };
            }
        }
    }
    (
        SECURE_BOOT_VAR,
        Value::unknown(
            "efivarfs not mounted: mount -t efivarfs efivarfs /sys/firmware/efi/efivars",
        ),
    )
}

/// KASLR in effect now: `_text` in /proc/kallsyms against the link address (x86_64 and arm64,
/// needs CAP_SYSLOG), then the KASLR flag the decompressor leaves in boot_params (x86,
/// unprivileged), then what the build and command line allow.
fn kaslr_live(root: &Root, ctx: &Context) -> (&'static str, Value) {
    let arch = ctx.arch.unwrap_or("");
    let link = match arch {
        "x86_64" => Some(x86_64_link_text(ctx.kconfig)),
        "arm64" => arm64_link_text(ctx.kconfig),
        _ => None,
    };
    if let Some(link) = link {
        if let Some(addr) = kallsyms_symbol(root, "_text").filter(|a| *a != 0) {
            let v = if addr == link {
                Value::known(
                    "off",
                    format!(
                        "_text at {addr:#x}, the link-time address: the kernel was not relocated"
                    ),
                )
            } else {
                Value::known(
                    "in_effect",
                    format!("_text at {addr:#x}, link-time {link:#x}"),
                )
            };
            return (KALLSYMS, v);
        }
    }
    if arch == "arm64" {
        if let Some(off) = kcore_kernel_offset(root) {
            let v = if off == 0 {
                Value::known("off", "KERNELOFFSET=0 in the VMCOREINFO note of /proc/kcore: the kernel runs at its link address")
            } else {
                Value::known(
                    "in_effect",
                    format!("KERNELOFFSET={off:#x} in the VMCOREINFO note of /proc/kcore"),
                )
            };
            return (KCORE, v);
        }
    }
    if arch.starts_with("x86") {
        if let Ok(bp) = root.read_limited(BOOT_PARAMS, 1 << 16) {
            if let Some(&flags) = bp.get(BP_LOADFLAGS) {
                let v = if flags & KASLR_FLAG != 0 {
                    Value::known("in_effect", format!("boot_params loadflags {flags:#04x}: KASLR_FLAG set by the decompressor"))
                } else {
                    Value::known("off", format!("boot_params loadflags {flags:#04x}: KASLR_FLAG clear, the kernel was not randomised at boot"))
                };
                return (BOOT_PARAMS, v);
            }
        }
    }
    if let Some(v) = kaslr_from_boot_config(ctx) {
        return (CMDLINE, v);
    }
    let why = match arch {
        "arm64" if link.is_none() => "no runtime signal readable: the arm64 link address is known here from Linux 6.5 on (with the kernel config), and without root _text in /proc/kallsyms reads as zeros",
        "arm64" => "no runtime signal readable without root: _text in /proc/kallsyms needs CAP_SYSLOG, and arm64 leaves no unprivileged record of the randomisation (no boot_params; the device tree's kaslr-seed is zeroed once read, and absent on ACPI machines)",
        _ => "no runtime signal readable: _text in /proc/kallsyms needs root, and /sys/kernel/boot_params exists only on x86",
    };
    (KALLSYMS, Value::unknown(why))
}

/// The kernel's own KASLR offset: `KERNELOFFSET=<hex>` in the VMCOREINFO note that /proc/kcore
/// carries in its ELF header (within its first pages; the file is root-only, and refused under
/// lockdown=confidentiality). arm64 writes the line on every boot, 0 when not randomised
/// (arch/arm64/kernel/vmcore_info.c); x86 only when randomised, so it is not asked there.
fn kcore_kernel_offset(root: &Root) -> Option<u64> {
    const KEY: &[u8] = b"\nKERNELOFFSET=";
    let head = root.read_prefix(KCORE, 64 << 10).ok()?;
    let at = head.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let hex: String = head[at..]
        .iter()
        .take_while(|b| b.is_ascii_hexdigit())
        .take(16)
        .map(|&b| char::from(b))
        .collect();
    (head.get(at + hex.len()) == Some(&b'\n'))
        .then(|| u64::from_str_radix(&hex, 16).ok())
        .flatten()
}

/// Address of `symbol` in /proc/kallsyms, reading no more than the first few MiB and stopping at
/// the first line that names it (`_text` is within the first lines on x86_64 and arm64).
fn kallsyms_symbol(root: &Root, symbol: &str) -> Option<u64> {
    use std::io::BufRead;
    let mut reader =
        std::io::BufReader::with_capacity(64 << 10, root.open_prefix(KALLSYMS, 8 << 20).ok()?);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(&line);
        let mut it = text.split_whitespace();
        let (Some(addr), Some(_kind), Some(name)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if let Some(a) = (name == symbol)
            .then(|| u64::from_str_radix(addr, 16).ok())
            .flatten()
        {
            return Some(a);
        }
    }
}

fn kallsyms_live(root: &Root, ctx: &Context, euid: Option<u32>) -> Value {
    // An unprivileged auditor on the host sees what any unprivileged reader sees.
    if let Some(uid) = euid.filter(|u| *u != 0) {
        if let Ok(data) = root.read_prefix(KALLSYMS, 64 << 10) {
            let text = String::from_utf8_lossy(&data);
            let mut lines = text
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .peekable();
            if lines.peek().is_some() {
                let visible = lines.any(|a| !a.trim_start_matches('0').is_empty());
                return Value::known(
                    if visible { "visible" } else { "hidden" },
                    format!("observed: /proc/kallsyms read as uid {uid}"),
                );
            }
        }
    }
    kallsyms_from_sysctls(ctx.sysctl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockdown_file_format() {
        assert_eq!(
            parse_lockdown("none [integrity] confidentiality"),
            Some(Lockdown::Integrity)
        );
        assert_eq!(
            parse_lockdown("[none] integrity confidentiality"),
            Some(Lockdown::None)
        );
        assert_eq!(parse_lockdown("none [Integrity] confidentiality"), None);
        assert_eq!(parse_lockdown("none integrity"), None);
    }

    #[test]
    fn boot_lockdown_only_rises() {
        let cfg = KConfig::parse(b"CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y\n").unwrap();
        let c = Cmdline::parse("lockdown=none lockdown=bogus");
        assert_eq!(boot_lockdown(Some(&cfg), Some(&c)).0, Lockdown::Integrity);
        let c = Cmdline::parse("lockdown=confidentiality lockdown=integrity");
        assert_eq!(
            boot_lockdown(Some(&cfg), Some(&c)).0,
            Lockdown::Confidentiality
        );
    }

    /// The symbol is found where it is (after per-cpu symbols, malformed and non-UTF-8 lines),
    /// the first well-formed line naming it wins, and nothing is found past the read limit or
    /// in a file that is not there.
    #[test]
    fn kallsyms_symbol_reads_until_the_symbol() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("proc")).unwrap();
        let mut text = Vec::new();
        for i in 0..5000 {
            text.extend_from_slice(format!("{i:016x} A __per_cpu_{i}\n").as_bytes());
        }
        text.extend_from_slice(b"broken\n\xff\xfe T junk\nzzzz T _text\n");
        text.extend_from_slice(b"ffffffff81000000 T _stext\nffffffff9c000000 T _text\n");
        text.extend_from_slice(b"ffffffff81000000 T _text\n");
        std::fs::write(dir.path().join("proc/kallsyms"), &text).unwrap();
        let root = Root::new(dir.path());
        assert_eq!(kallsyms_symbol(&root, "_text"), Some(0xffff_ffff_9c00_0000));
        assert_eq!(kallsyms_symbol(&root, "__per_cpu_4999"), Some(4999));
        assert_eq!(kallsyms_symbol(&root, "no_such_symbol"), None);
        // Past 8 MiB of per-cpu lines, the symbol is not looked for.
        let mut big = b"0000000000000000 A __per_cpu_start\n".repeat((8 << 20) / 35 + 1);
        big.extend_from_slice(b"ffffffff81000000 T _text\n");
        std::fs::write(dir.path().join("proc/kallsyms"), &big).unwrap();
        assert_eq!(kallsyms_symbol(&root, "_text"), None);
        std::fs::remove_file(dir.path().join("proc/kallsyms")).unwrap();
        assert_eq!(kallsyms_symbol(&root, "_text"), None);
    }

    /// KERNELOFFSET is read from the note text in /proc/kcore's first pages, only as a whole
    /// line; a missing, malformed or absent file says nothing.
    #[test]
    fn kcore_kernel_offset_reads_the_vmcoreinfo_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("proc")).unwrap();
        let root = Root::new(dir.path());
        let kcore = dir.path().join("proc/kcore");
        assert_eq!(kcore_kernel_offset(&root), None);
        let mut head = b"\x7fELF\x02\x01\x01".to_vec();
        head.extend_from_slice(&[0u8; 500]);
        head.extend_from_slice(
            b"VMCOREINFO\0\0OSRELEASE=7.2.13\nKERNELOFFSET=2b96d2800000\nKASAN=0\n",
        );
        std::fs::write(&kcore, &head).unwrap();
        assert_eq!(kcore_kernel_offset(&root), Some(0x2b96_d280_0000));
        std::fs::write(&kcore, b"x\nKERNELOFFSET=0\n").unwrap();
        assert_eq!(kcore_kernel_offset(&root), Some(0));
        std::fs::write(&kcore, b"x\nKERNELOFFSET=12zz\n").unwrap();
        assert_eq!(kcore_kernel_offset(&root), None);
        let mut far = vec![0u8; 70 << 10];
        far.extend_from_slice(b"\nKERNELOFFSET=1\n");
        std::fs::write(&kcore, &far).unwrap();
        assert_eq!(kcore_kernel_offset(&root), None);
    }

    #[test]
    fn link_address_default() {
        assert_eq!(x86_64_link_text(None), 0xffff_ffff_8100_0000);
    }

    /// Debian's arm64 kernels: 7.2 (52-bit VA, 4K pages) runs at 0xffff800080000000 with
    /// nokaslr (test bed, sid-cloud-arm64); 48-bit and 39-bit VA layouts follow the same
    /// formula; before 6.5 or without VA_BITS nothing is claimed.
    #[test]
    fn arm64_link_address() {
        let cfg = |hdr: &str, body: &str| {
            KConfig::parse(format!("# Linux/arm64 {hdr} Kernel Configuration\n{body}").as_bytes())
                .unwrap()
        };
        let c = cfg(
            "7.2.13",
            "CONFIG_ARM64=y\nCONFIG_ARM64_VA_BITS=52\nCONFIG_ARM64_4K_PAGES=y\n",
        );
        assert_eq!(arm64_link_text(Some(&c)), Some(0xffff_8000_8000_0000));
        let c = cfg("6.12.1", "CONFIG_ARM64=y\nCONFIG_ARM64_VA_BITS=48\n");
        assert_eq!(arm64_link_text(Some(&c)), Some(0xffff_8000_8000_0000));
        let c = cfg("6.12.1", "CONFIG_ARM64=y\nCONFIG_ARM64_VA_BITS=39\n");
        assert_eq!(arm64_link_text(Some(&c)), Some(0xffff_ffc0_8000_0000));
        let c = cfg(
            "6.12.1",
            "CONFIG_ARM64=y\nCONFIG_ARM64_VA_BITS=52\nCONFIG_ARM64_16K_PAGES=y\n",
        );
        assert_eq!(arm64_link_text(Some(&c)), Some(0xffff_c000_8000_0000));
        let c = cfg("6.1.150", "CONFIG_ARM64=y\nCONFIG_ARM64_VA_BITS=48\n");
        assert_eq!(arm64_link_text(Some(&c)), None);
        let c = cfg("7.2.13", "CONFIG_ARM64=y\n");
        assert_eq!(arm64_link_text(Some(&c)), None);
        assert_eq!(arm64_link_text(None), None);
    }

    #[test]
    fn kallsyms_visibility_follows_kallsyms_show_value() {
        let mk = |k: &str, p: &str| {
            let mut m = BTreeMap::new();
            m.insert("kernel.kptr_restrict".to_string(), Value::known(k, "t"));
            m.insert(
                "kernel.perf_event_paranoid".to_string(),
                Value::known(p, "t"),
            );
            kallsyms_from_sysctls(&m).as_known().map(str::to_string)
        };
        assert_eq!(mk("0", "1").as_deref(), Some("visible"));
        assert_eq!(mk("0", "-1").as_deref(), Some("visible"));
        assert_eq!(mk("0", "2").as_deref(), Some("hidden"));
        assert_eq!(mk("1", "-1").as_deref(), Some("hidden"));
        assert_eq!(mk("2", "0").as_deref(), Some("hidden"));
    }
}
