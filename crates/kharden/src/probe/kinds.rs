//! The names facts go by: the four sources, the runtime facts and the lockdown levels. Each is
//! an enum whose spellings come from one derive (strum); serde writes them through it.
//!
//! Shared with build.rs (which compiles the built-in rules into static data): this file uses
//! nothing of the crate but its neighbours through `super::`, and only strum and serde.

use std::borrow::Borrow;

/// An enum whose values are words (a fact's source, a lockdown level, a severity, a problem's
/// code ...): one derive for all of them, the spellings from strum (`#[strum(serialize_all =
/// ...)]` on the enum), `as_str`, and serde writing that spelling (directly: serde's `into =
/// "&str"` made a full-profile report measurably slower to write). Written once here instead of
/// a derive list and two impls per enum.
macro_rules! word_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::VariantNames,
            strum::EnumIter,
        )]
        $(#[$meta])*
        pub enum $name { $($body)* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use word_enum;

word_enum! {
    /// Where a fact comes from.
    #[strum(serialize_all = "lowercase")]
    pub enum SourceKind {
        Kconfig,
        Cmdline,
        Sysctl,
        Runtime,
    }
}

impl SourceKind {
    /// A key as the JSON documents and the human output spell it: a kconfig option with the
    /// kernel's own `CONFIG_` prefix (rules and facts keep the bare name), anything else as is.
    pub fn spelled_key(self, key: &str) -> std::borrow::Cow<'_, str> {
        match self {
            SourceKind::Kconfig => std::borrow::Cow::Owned(format!("CONFIG_{key}")),
            _ => std::borrow::Cow::Borrowed(key),
        }
    }
}

word_enum! {
    /// A fact of the running kernel that is not a config line, a command-line parameter or a
    /// sysctl (docs/audit-facts.md). Rules name them (`runtime = "lockdown"`); the name is
    /// decided when a policy is loaded, so that evaluation and `apply` look them up by this enum.
    ///
    /// The variants stand in the order of their names, like the strings a rule writes, so that
    /// a map keyed by facts can also be looked up by a written name (`Borrow<str>`; a test holds
    /// them so: add a fact where its name sorts).
    #[strum(serialize_all = "snake_case")]
    pub enum RuntimeFact {
        Ipe,
        Kallsyms,
        Kaslr,
        Lockdown,
        Lsm,
        SecureBoot,
        SigEnforce,
    }
}

impl RuntimeFact {
    /// The values the fact takes, when they are a closed set (a rule comparing with another
    /// word is refused when it is loaded); `None` for the LSM list.
    pub fn values(self) -> Option<&'static [&'static str]> {
        match self {
            RuntimeFact::Lockdown => Some(<Lockdown as strum::VariantNames>::VARIANTS),
            RuntimeFact::Lsm => None,
            RuntimeFact::SigEnforce => Some(&["Y", "N"]),
            RuntimeFact::SecureBoot => Some(&["enabled", "disabled", "setup_mode", "not_efi"]),
            RuntimeFact::Kaslr => Some(&["in_effect", "off"]),
            RuntimeFact::Kallsyms => Some(&["hidden", "visible"]),
            RuntimeFact::Ipe => Some(&["enforcing", "permissive", "no_policy"]),
        }
    }
}

impl Borrow<str> for RuntimeFact {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

word_enum! {
    /// A kind of thing on a host that turning a rule on would break: what `audit --readiness`
    /// looks for (docs/readiness.md). Rules name the kinds they would break, with the
    /// consequence and the way out (`[[rule.readiness]]`); the probes that look are in
    /// `probe/readiness/`.
    #[strum(serialize_all = "kebab-case")]
    pub enum BlockerKind {
        /// Modules on disk for the running release that the running kernel's own certificates
        /// (and the enrolled keys) do not vouch for.
        UnsignedModule,
        /// Modules loaded now without a valid signature (taint E).
        LoadedUnsignedModule,
        /// DKMS, akmods or shim MOK signing keys that are not enrolled.
        UnenrolledModuleKey,
        /// Out-of-tree module builds (DKMS).
        DkmsModule,
        /// Hibernation configured (resume=, /sys/power/resume, initramfs RESUME=).
        Hibernation,
        /// Users of the kexec_load system call (kdump-tools without -s, kexec-load).
        KexecLoad,
        /// Users of either kexec system call (kdump, kexec reboots).
        KexecUser,
        /// A crash kernel loaded now.
        CrashKernelLoaded,
        /// Processes holding /dev/mem, /dev/kmem or /dev/port open.
        DevMemUser,
        /// Processes holding /dev/cpu/*/msr open for writing.
        MsrUser,
        /// Processes mapping PCI resource files or holding UIO devices.
        PciResourceMapped,
        /// ACPI table overrides (acpi_rsdp=, efivar_ssdt=, dracut acpi_override).
        AcpiOverride,
        /// Processes holding debugfs files open.
        DebugfsUser,
        /// Loaded BPF programs of tracing types and the processes holding them.
        TracingBpf,
        /// kprobe events defined in tracefs.
        KprobeEvent,
        /// Processes holding perf events.
        PerfEventUser,
        /// Processes of other users than root holding perf events.
        UnprivilegedPerfUser,
        /// Processes holding tracefs files open.
        TracefsUser,
        /// Processes holding /proc/kcore open.
        KcoreReader,
        /// Profilers and agents that read kernel pointers or use perf, running or installed.
        Profiler,
        /// SELinux permissive now.
        SelinuxPermissive,
        /// Processes of other users than root reading the kernel log (/dev/kmsg, /proc/kmsg).
        KernelLogReader,
        /// BPF programs loaded with the bpf_probe_write_user helper (the kernel log names the
        /// loading process).
        BpfWriteUser,
    }
}

word_enum! {
    /// The kernel's lockdown levels, in order: each forbids what the one before does, and more.
    #[strum(serialize_all = "lowercase")]
    pub enum Lockdown {
        None,
        Integrity,
        Confidentiality,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// A map keyed by facts is looked up by name (`Borrow<str>`): that holds only while the
    /// facts order as their names do.
    #[test]
    fn runtime_facts_order_as_their_names() {
        let facts: Vec<RuntimeFact> = RuntimeFact::iter().collect();
        for a in &facts {
            for b in &facts {
                assert_eq!(a.cmp(b), a.as_str().cmp(b.as_str()));
            }
            assert_eq!(a.as_str().parse::<RuntimeFact>().ok(), Some(*a));
        }
    }

    #[test]
    fn names_and_order() {
        assert!(Lockdown::None < Lockdown::Integrity);
        assert!(Lockdown::Integrity < Lockdown::Confidentiality);
        assert_eq!(
            "integrity".parse::<Lockdown>().ok(),
            Some(Lockdown::Integrity)
        );
        assert!("Integrity".parse::<Lockdown>().is_err());
        assert_eq!(RuntimeFact::SigEnforce.as_str(), "sig_enforce");
        assert_eq!(
            serde_json::to_string(&SourceKind::Kconfig).unwrap(),
            "\"kconfig\""
        );
    }
}
