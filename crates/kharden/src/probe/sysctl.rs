//! Sysctl values: the output of `sysctl -a` (or a `sysctl.conf`-style file) and `/proc/sys`.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysctlDump {
    pub values: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SysctlError {
    #[error("binary data (NUL byte at offset {0}), not sysctl output")]
    Binary(usize),
    #[error("no `key = value` lines found: not the output of `sysctl -a`")]
    Empty,
}

impl SysctlDump {
    /// Parse `key = value` lines (`sysctl -a`), also `key=value` and `/`-separated keys.
    /// Comments (`#`, `;`) and blank lines are skipped; other lines become warnings.
    pub fn parse(data: &[u8]) -> Result<SysctlDump, SysctlError> {
        if let Some(pos) = data.iter().position(|&b| b == 0) {
            return Err(SysctlError::Binary(pos));
        }
        let text = String::from_utf8_lossy(data);
        let mut dump = SysctlDump::default();
        for (idx, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                dump.warnings
                    .push(format!("line {}: not a `key = value` line", idx + 1));
                continue;
            };
            let key = key.trim().trim_start_matches('-').replace('/', ".");
            if key.is_empty() || key.contains(char::is_whitespace) {
                dump.warnings
                    .push(format!("line {}: malformed key {:?}", idx + 1, key));
                continue;
            }
            dump.values.insert(key, normalize_value(value));
        }
        if dump.values.is_empty() {
            return Err(SysctlError::Empty);
        }
        Ok(dump)
    }
}

/// Values are compared with single spaces between fields (`/proc/sys` separates with tabs).
pub fn normalize_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `kernel.kptr_restrict` → `proc/sys/kernel/kptr_restrict` (relative to a root).
pub fn proc_path(key: &str) -> String {
    format!("proc/sys/{}", key.replace('.', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sysctl_a_output() {
        let d = SysctlDump::parse(
            b"kernel.kptr_restrict = 1\nkernel.printk = 4\t4\t1\t7\n# c\nsysctl: permission denied on key 'x'\nkernel/dmesg_restrict=1\n",
        )
        .unwrap();
        assert_eq!(d.values["kernel.kptr_restrict"], "1");
        assert_eq!(d.values["kernel.printk"], "4 4 1 7");
        assert_eq!(d.values["kernel.dmesg_restrict"], "1");
        assert_eq!(d.warnings.len(), 1);
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(
            SysctlDump::parse(b"\x7fELF\0\0"),
            Err(SysctlError::Binary(4))
        );
        assert_eq!(
            SysctlDump::parse(b"hello\nworld\n"),
            Err(SysctlError::Empty)
        );
    }
}
