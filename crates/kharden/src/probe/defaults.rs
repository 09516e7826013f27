//! Boot-time values of sysctls when no sysctl source is given: what the kernel starts with,
//! set by a build option or fixed in the kernel, possibly overridden by the command line
//! (`sysctl.<key>=` since 5.8, `nomodule`, `norandmaps`).

use super::cmdline::Cmdline;
use super::facts::Value;
use super::kconfig::KConfig;

/// The value `key` has at boot on a kernel built with `cfg`, or `Unknown` with the reason.
pub fn sysctl_default(key: &str, cfg: Option<&KConfig>, cmdline: Option<&Cmdline>) -> Value {
    if let Some(p) = cmdline.and_then(|c| c.last(&format!("sysctl.{key}"))) {
        if let Some(v) = &p.value {
            return Value::known(v.clone(), format!("command line sysctl.{key}={v}"));
        }
    }
    let Some(cfg) = cfg else {
        return Value::unknown("no sysctl source and no kernel config given");
    };
    let by_option = |opt: &str, on: &str, off: &str| {
        if cfg.enabled(opt) {
            Value::known(on, format!("build-time default: CONFIG_{opt}=y"))
        } else {
            Value::known(off, format!("build-time default: CONFIG_{opt} is not set"))
        }
    };
    let fixed = |v: &str, why: &str| Value::known(v, format!("kernel default ({why})"));
    let absent = |opt: &str| Value::Absent {
        origin: format!("CONFIG_{opt} is not set"),
    };
    match key {
        "kernel.dmesg_restrict" => by_option("SECURITY_DMESG_RESTRICT", "1", "0"),
        "kernel.kptr_restrict" => fixed("0", "no build option changes it; set it with sysctl"),
        "kernel.perf_event_paranoid" if !cfg.enabled("PERF_EVENTS") => absent("PERF_EVENTS"),
        // 3 is Debian's patch (CONFIG_SECURITY_PERF_EVENTS_RESTRICT); upstream starts at 2.
        "kernel.perf_event_paranoid" => by_option("SECURITY_PERF_EVENTS_RESTRICT", "3", "2"),
        "kernel.unprivileged_bpf_disabled" if !cfg.enabled("BPF_SYSCALL") => absent("BPF_SYSCALL"),
        "kernel.unprivileged_bpf_disabled" => by_option("BPF_UNPRIV_DEFAULT_OFF", "2", "0"),
        "kernel.kexec_load_disabled" if !cfg.enabled("KEXEC_CORE") => absent("KEXEC_CORE"),
        "kernel.kexec_load_disabled" => fixed("0", "only a sysctl write sets it"),
        "kernel.modules_disabled" if !cfg.enabled("MODULES") => absent("MODULES"),
        "kernel.modules_disabled" => {
            if cmdline.is_some_and(|c| c.last("nomodule").is_some()) {
                Value::known("1", "command line nomodule")
            } else {
                fixed("0", "only nomodule or a sysctl write sets it")
            }
        }
        "kernel.randomize_va_space" => {
            if cmdline.is_some_and(|c| c.last("norandmaps").is_some()) {
                Value::known("0", "command line norandmaps")
            } else {
                by_option("COMPAT_BRK", "1", "2")
            }
        }
        "kernel.yama.ptrace_scope" if !cfg.enabled("SECURITY_YAMA") => absent("SECURITY_YAMA"),
        "kernel.yama.ptrace_scope" => fixed("1", "Yama starts at 1"),
        _ => Value::unknown("no sysctl source given and no build-time default is known for it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_config_and_cmdline() {
        let cfg = KConfig::parse(
            b"CONFIG_SECURITY_DMESG_RESTRICT=y\nCONFIG_PERF_EVENTS=y\nCONFIG_KEXEC_CORE=y\nCONFIG_MODULES=y\n",
        )
        .unwrap();
        let c = Cmdline::parse("sysctl.kernel.kptr_restrict=2 nomodule");
        assert_eq!(
            sysctl_default("kernel.dmesg_restrict", Some(&cfg), None).as_known(),
            Some("1")
        );
        assert_eq!(
            sysctl_default("kernel.perf_event_paranoid", Some(&cfg), None).as_known(),
            Some("2")
        );
        assert_eq!(
            sysctl_default("kernel.kptr_restrict", Some(&cfg), Some(&c)).as_known(),
            Some("2")
        );
        assert_eq!(
            sysctl_default("kernel.modules_disabled", Some(&cfg), Some(&c)).as_known(),
            Some("1")
        );
        assert!(matches!(
            sysctl_default("kernel.unprivileged_bpf_disabled", Some(&cfg), None),
            Value::Absent { .. }
        ));
        assert!(matches!(
            sysctl_default("vm.mmap_min_addr", Some(&cfg), None),
            Value::Unknown { .. }
        ));
    }
}
