//! The fact types every source produces, live or offline. A fact that could not be read is a
//! value too (`Unknown` with the reason), never a guess.

use std::collections::BTreeMap;

use serde::Serialize;

use super::cmdline::Cmdline;
use super::kconfig::KConfig;

pub use super::kinds::{Lockdown, RuntimeFact, SourceKind};

super::kinds::word_enum! {
    #[strum(serialize_all = "snake_case")]
    pub enum SourceStatus {
        Read,
        Missing,
        Unreadable,
        NotUsed,
    }
}

super::kinds::word_enum! {
    /// What a `sources` entry is: one of the four sources of facts, or a user policy applied.
    #[strum(serialize_all = "lowercase")]
    pub enum RecordKind {
        Kconfig,
        Cmdline,
        Sysctl,
        Runtime,
        Policy,
    }
}

impl From<SourceKind> for RecordKind {
    fn from(k: SourceKind) -> RecordKind {
        match k {
            SourceKind::Kconfig => RecordKind::Kconfig,
            SourceKind::Cmdline => RecordKind::Cmdline,
            SourceKind::Sysctl => RecordKind::Sysctl,
            SourceKind::Runtime => RecordKind::Runtime,
        }
    }
}

impl PartialEq<SourceKind> for RecordKind {
    fn eq(&self, k: &SourceKind) -> bool {
        *self == RecordKind::from(*k)
    }
}

/// Where one kind of fact came from, or a policy file applied (`kind` `policy`, `detail`
/// `sha256:HEX` of its bytes), for the report's `sources` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SourceRecord {
    pub kind: RecordKind,
    pub origin: String,
    pub status: SourceStatus,
    pub detail: Option<String>,
}

/// One resolved value with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Read (or derived from a stated build-time default): `origin` says which.
    Known { value: String, origin: String },
    /// The interface does not exist on this kernel (the feature is not built).
    Absent { origin: String },
    /// Could not be determined; `reason` tells the user why.
    Unknown { reason: String },
}

impl Value {
    pub fn known(value: impl Into<String>, origin: impl Into<String>) -> Value {
        Value::Known {
            value: value.into(),
            origin: origin.into(),
        }
    }

    pub fn unknown(reason: impl Into<String>) -> Value {
        Value::Unknown {
            reason: reason.into(),
        }
    }

    pub fn as_known(&self) -> Option<&str> {
        match self {
            Value::Known { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// What was read (or derived) for a runtime fact: the path it was read from (the evidence key)
/// and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub path: String,
    pub value: Value,
}

/// The command line as known to the audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdlineFact {
    Known {
        cmdline: Cmdline,
        origin: String,
    },
    /// Offline with no command line given: judged as an empty one (the build-time defaults).
    Default {
        reason: String,
    },
    Unknown {
        reason: String,
    },
}

impl CmdlineFact {
    pub fn cmdline(&self) -> Option<&Cmdline> {
        static EMPTY: Cmdline = Cmdline {
            params: Vec::new(),
            init_args: Vec::new(),
        };
        match self {
            CmdlineFact::Known { cmdline, .. } => Some(cmdline),
            CmdlineFact::Default { .. } => Some(&EMPTY),
            CmdlineFact::Unknown { .. } => None,
        }
    }

    pub fn origin(&self) -> String {
        match self {
            CmdlineFact::Known { origin, .. } => origin.clone(),
            CmdlineFact::Default { reason } | CmdlineFact::Unknown { reason } => reason.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
pub struct KernelInfo {
    pub release: Option<String>,
    pub arch: Option<String>,
    #[serde(skip)]
    pub version: Option<(u32, u32, u32)>,
}

/// A file facts were read from, for reports that point at it (SARIF locations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRef {
    /// A file the user named (`--config`, `--cmdline`, `--sysctl`), as named.
    Named(String),
    /// A file under the audited root, by its absolute path inside the root.
    InRoot(String),
}

/// The files the config, command line and sysctls were read from (`None`: not read from one
/// file: derived, or /proc/sys read key by key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRefs {
    pub kconfig: Option<FileRef>,
    pub cmdline: Option<FileRef>,
    pub sysctl: Option<FileRef>,
    /// True when the root is the host's `/` (an in-root path is then a path on this machine).
    pub root_is_host: bool,
}

/// Everything the evaluation may look at.
#[derive(Debug, Clone)]
pub struct Facts {
    pub kernel: KernelInfo,
    pub live: bool,
    pub sources: Vec<SourceRecord>,
    pub kconfig: Result<KConfig, String>,
    pub kconfig_origin: String,
    /// Where the config, command line and sysctl dump were read from.
    pub files: FileRefs,
    pub cmdline: CmdlineFact,
    pub sysctl: BTreeMap<String, Value>,
    /// Every runtime fact, read live or derived offline.
    pub runtime: BTreeMap<RuntimeFact, Reading>,
    /// Problems that did not stop the audit (malformed config lines, version mismatch, ...).
    pub warnings: Vec<String>,
}

impl Facts {
    pub fn kconfig(&self) -> Option<&KConfig> {
        self.kconfig.as_ref().ok()
    }
}
