//! `/proc/sys/kernel/tainted`: a bitmask whose bits are documented in
//! Documentation/admin-guide/tainted-kernels.rst. Unknown bits are shown as numbers.

/// (bit, letter, meaning) for every bit known up to Linux 6.15.
pub const TAINT_BITS: &[(u32, char, &str)] = &[
    (0, 'P', "proprietary module loaded"),
    (1, 'F', "module force-loaded"),
    (2, 'S', "kernel running on an out-of-spec system"),
    (3, 'R', "module force-unloaded"),
    (4, 'M', "machine check exception"),
    (5, 'B', "bad page referenced"),
    (6, 'U', "taint requested by userspace"),
    (7, 'D', "kernel died recently (OOPS or BUG)"),
    (8, 'A', "ACPI table overridden"),
    (9, 'W', "kernel issued a warning"),
    (10, 'C', "staging driver loaded"),
    (11, 'I', "workaround for a platform firmware bug applied"),
    (12, 'O', "out-of-tree module loaded"),
    (13, 'E', "unsigned module loaded"),
    (14, 'L', "soft lockup occurred"),
    (15, 'K', "kernel live patched"),
    (16, 'X', "auxiliary taint (distribution-defined)"),
    (17, 'T', "kernel built with the struct randomization plugin"),
    (18, 'N', "in-kernel test run"),
    (19, 'J', "fwctl debug operation used"),
];

/// Each set bit as `Letter (meaning)`, or `bit N (unknown)`.
pub fn decode(mask: u64) -> Vec<String> {
    (0..64)
        .filter(|bit| mask & (1u64 << bit) != 0)
        .map(|bit| match TAINT_BITS.iter().find(|(b, _, _)| *b == bit) {
            Some((_, letter, meaning)) => format!("{letter} ({meaning})"),
            None => format!("bit {bit} (unknown)"),
        })
        .collect()
}

/// Bit number of a taint letter.
pub fn bit_of(letter: char) -> Option<u32> {
    TAINT_BITS
        .iter()
        .find(|(_, l, _)| *l == letter)
        .map(|(b, _, _)| *b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_and_unknown_bits() {
        assert!(decode(0).is_empty());
        assert_eq!(decode(8192), vec!["E (unsigned module loaded)"]);
        assert_eq!(
            decode(1 | (1 << 21)),
            vec!["P (proprietary module loaded)", "bit 21 (unknown)"]
        );
        assert_eq!(bit_of('E'), Some(13));
    }
}
