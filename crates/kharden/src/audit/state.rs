//! The few facts fleets watch across hosts, as numbers: lockdown level, module signature
//! enforcement, the taint mask (and from it: an unsigned module was loaded). Read from the
//! facts an audit judged; `None` when the fact is unknown, never guessed.

use crate::probe::{taint, Facts, Lockdown, RuntimeFact, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostState {
    pub lockdown: Option<Lockdown>,
    /// Module signature enforcement: the kernel refuses unsigned modules.
    pub sig_enforce: Option<bool>,
    /// `/proc/sys/kernel/tainted`.
    pub tainted: Option<u64>,
}

impl HostState {
    pub fn of(facts: &Facts) -> HostState {
        let runtime = |f: RuntimeFact| {
            facts
                .runtime
                .get(&f)
                .and_then(|r| r.value.as_known())
                .map(str::trim)
        };
        HostState {
            lockdown: runtime(RuntimeFact::Lockdown).and_then(|v| v.parse().ok()),
            sig_enforce: match runtime(RuntimeFact::SigEnforce) {
                Some("Y") => Some(true),
                Some("N") => Some(false),
                _ => None,
            },
            tainted: match facts.sysctl.get("kernel.tainted") {
                Some(Value::Known { value, .. }) => value.trim().parse().ok(),
                _ => None,
            },
        }
    }

    /// Taint flag E: an unsigned module was loaded since boot.
    pub fn unsigned_module_loaded(&self) -> Option<bool> {
        let bit = taint::bit_of('E').expect("E is a taint flag");
        self.tainted.map(|t| t & (1 << bit) != 0)
    }
}
