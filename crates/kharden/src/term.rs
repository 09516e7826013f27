//! Text that reaches a terminal. Every string that comes from input (a snapshot's `osrelease`,
//! a command line, a certificate's CN, a module's file name, a policy's waiver reason) may hold
//! escape sequences that clear the screen, retitle the window or draw fake lines. Human output
//! passes such strings through [`clean`]; JSON escapes them by its own rules and does not.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and every bidirectional override shown
/// as an escape (`\x1b`, `\u{202e}`), so it prints as the visible characters it is made of.
/// Text without such characters is borrowed unchanged.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// Like [`clean`], for text that is several lines on purpose (a rendered block): line breaks
/// stay, every other control character is escaped.
pub fn clean_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&clean(line));
    }
    Cow::Owned(out)
}

/// `n` with a comma between groups of three digits: `144,900`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        // Bidirectional embeddings, overrides and isolates reorder what follows them.
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_and_borrows_plain_text() {
        assert!(matches!(clean("6.1.0-56-cloud-amd64"), Cow::Borrowed(_)));
        assert_eq!(clean("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(clean("x\ny\rz\t"), "x\\x0ay\\x0dz\\x09");
        assert_eq!(clean("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(clean("ab\u{202e}cd"), "ab\\u{202e}cd");
        assert_eq!(clean("caf\u{e9} \u{2713}"), "caf\u{e9} \u{2713}");
        assert_eq!(clean_lines("one\x07\ntwo\n"), "one\\x07\ntwo\n");
        assert!(matches!(clean_lines("one\ntwo\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(144_900), "144,900");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
