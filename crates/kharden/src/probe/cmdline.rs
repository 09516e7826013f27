//! The kernel command line, split the way the kernel's own `next_arg()`/`parse_args()` split it
//! (lib/cmdline.c, kernel/params.c): whitespace separates arguments except inside double quotes,
//! the first `=` separates name from value, quotes around a value are dropped, a bare `--` ends
//! the kernel's parameters (the rest belongs to init), and `-`/`_` are the same in names.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name as written.
    pub name: String,
    /// `None` for a bare flag such as `nokaslr`.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cmdline {
    /// Kernel parameters in order (everything before `--`).
    pub params: Vec<Param>,
    /// Arguments after `--`, passed to init and ignored by the kernel.
    pub init_args: Vec<Param>,
}

impl Cmdline {
    pub fn parse(text: &str) -> Cmdline {
        let chars: Vec<char> = text.chars().collect();
        let mut pos = skip_spaces(&chars, 0);
        let mut out = Cmdline::default();
        let mut after_dashes = false;
        while pos < chars.len() {
            let (param, next) = next_arg(&chars, pos);
            pos = next;
            if !after_dashes && param.value.is_none() && param.name == "--" {
                after_dashes = true;
                continue;
            }
            if after_dashes {
                out.init_args.push(param);
            } else {
                out.params.push(param);
            }
        }
        out
    }

    /// Every occurrence of a kernel parameter, in order (`-` and `_` match each other).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Param> + 'a {
        self.params.iter().filter(move |p| param_eq(&p.name, name))
    }

    /// The last occurrence: for ordinary parameters the last one written wins.
    pub fn last(&self, name: &str) -> Option<&Param> {
        self.params.iter().rfind(|p| param_eq(&p.name, name))
    }

    /// Whether `name` appears after `--`, where the kernel does not see it.
    pub fn only_after_dashes(&self, name: &str) -> bool {
        self.last(name).is_none() && self.init_args.iter().any(|p| param_eq(&p.name, name))
    }
}

/// The kernel's `parameq()`: names compare equal with `-` and `_` interchangeable.
pub fn param_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.chars()
            .zip(b.chars())
            .all(|(x, y)| x == y || (matches!(x, '-' | '_') && matches!(y, '-' | '_')))
}

/// The kernel's `kstrtobool()`: the first character decides (`y/Y/1/t/T/e/E` true, `n/N/0/f/F/d/D`
/// false), `on`/`off` by the second. A boolean parameter given without a value is true.
pub fn kstrtobool(value: Option<&str>) -> Option<bool> {
    let Some(v) = value else { return Some(true) };
    let mut c = v.chars();
    match c.next()? {
        'y' | 'Y' | '1' | 't' | 'T' | 'e' | 'E' => Some(true),
        'n' | 'N' | '0' | 'f' | 'F' | 'd' | 'D' => Some(false),
        'o' | 'O' => match c.next()? {
            'n' | 'N' => Some(true),
            'f' | 'F' => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn skip_spaces(chars: &[char], mut pos: usize) -> usize {
    while pos < chars.len() && chars[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

/// One argument starting at `start`; returns it and the position of the next one.
fn next_arg(chars: &[char], start: usize) -> (Param, usize) {
    let mut args = start;
    let mut in_quote = false;
    let mut quoted = false;
    if chars.get(args) == Some(&'"') {
        args += 1;
        in_quote = true;
        quoted = true;
    }
    let mut i = 0;
    let mut equals = 0;
    while args + i < chars.len() {
        let c = chars[args + i];
        if c.is_ascii_whitespace() && !in_quote {
            break;
        }
        // As in the kernel, an '=' at offset 0 does not count as the separator.
        if equals == 0 && c == '=' {
            equals = i;
        }
        if c == '"' {
            in_quote = !in_quote;
        }
        i += 1;
    }
    let word = &chars[args..args + i];
    let mut end = i;
    // A quoted argument loses its closing quote.
    let strip_last_quote = |end: usize| end > 0 && word[end - 1] == '"';
    let (name, value) = if equals == 0 {
        if quoted && strip_last_quote(end) {
            end -= 1;
        }
        (word[..end].iter().collect::<String>(), None)
    } else {
        let name: String = word[..equals].iter().collect();
        let mut vstart = equals + 1;
        if word.get(vstart) == Some(&'"') {
            vstart += 1;
            if strip_last_quote(end) {
                end -= 1;
            }
        } else if quoted && strip_last_quote(end) {
            end -= 1;
        }
        let value: String = word[vstart.min(end)..end].iter().collect();
        (name, Some(value))
    };
    let mut next = args + i;
    if next < chars.len() {
        next += 1;
    }
    (Param { name, value }, skip_spaces(chars, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, value: Option<&str>) -> Param {
        Param {
            name: name.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn splits_like_the_kernel() {
        let c = Cmdline::parse(
            "BOOT_IMAGE=/vmlinuz root=UUID=ab-cd ro  quiet \"dyndbg=file foo.c +p\" \
             opt=\"a b\" nokaslr -- single lockdown=confidentiality\n",
        );
        assert_eq!(
            c.params,
            vec![
                p("BOOT_IMAGE", Some("/vmlinuz")),
                p("root", Some("UUID=ab-cd")),
                p("ro", None),
                p("quiet", None),
                p("dyndbg", Some("file foo.c +p")),
                p("opt", Some("a b")),
                p("nokaslr", None),
            ]
        );
        assert_eq!(
            c.init_args,
            vec![p("single", None), p("lockdown", Some("confidentiality"))]
        );
        assert!(c.last("lockdown").is_none());
        assert!(c.only_after_dashes("lockdown"));
    }

    #[test]
    fn dashes_and_underscores_match_and_last_wins() {
        let c = Cmdline::parse("module.sig-enforce=0 module.sig_enforce");
        assert_eq!(c.all("module.sig_enforce").count(), 2);
        assert_eq!(c.last("module.sig_enforce").unwrap().value, None);
        assert_eq!(kstrtobool(None), Some(true));
    }

    #[test]
    fn boolean_spellings() {
        for t in ["1", "y", "Y", "yes", "on", "true", "T", "enable"] {
            assert_eq!(kstrtobool(Some(t)), Some(true), "{t}");
        }
        for f in ["0", "n", "N", "no", "off", "false", "disable"] {
            assert_eq!(kstrtobool(Some(f)), Some(false), "{f}");
        }
        for bad in ["", "2", "maybe", "o"] {
            assert_eq!(kstrtobool(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn edge_cases_do_not_panic() {
        for s in [
            "", " ", "\"", "=", "a=", "\"a=\"", "==", "\"\"", "x=\"", "--", "-- --",
        ] {
            let _ = Cmdline::parse(s);
        }
        assert_eq!(Cmdline::parse("a=").params, vec![p("a", Some(""))]);
        assert_eq!(Cmdline::parse("\"a b\"").params, vec![p("a b", None)]);
        assert_eq!(Cmdline::parse("=x").params, vec![p("=x", None)]);
    }
}
