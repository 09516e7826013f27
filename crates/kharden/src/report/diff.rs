//! `kharden diff A B`: the comparison (`remedy::diff::Diff`) for a terminal, and as the
//! `kharden.diff/2` JSON document (its fields in declaration order).

use std::fmt;

use super::Render;
use crate::probe::SourceKind;
use crate::remedy::diff::{Diff, OptionDiff};
use crate::term::clean;

impl Render for Diff {}

/// Every name and value from the inputs (paths, settings, rule texts) goes through [`clean`],
/// so escape sequences show as text.
impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kharden diff (profile {})\n  A: {}\n  B: {}",
            clean(&self.profile),
            clean(&self.a),
            clean(&self.b)
        )?;
        if self.areas.is_empty() {
            writeln!(
                f,
                "\nno difference in the profile's rules or the settings they read"
            )?;
        }
        // Columns as wide as their widest entry in the whole diff, so titles line up.
        let flips = || self.areas.values().flat_map(|a| a.flips.iter());
        let id_w = flips()
            .map(|f| clean(&f.id).len())
            .max()
            .unwrap_or(0)
            .max(26);
        let from_w = flips().map(|f| f.a.as_str().len()).max().unwrap_or(0);
        let to_w = flips().map(|f| f.b.as_str().len()).max().unwrap_or(0);
        for (area, a) in &self.areas {
            writeln!(f, "\n{}", clean(area))?;
            for flip in &a.flips {
                writeln!(
                    f,
                    "  {:<id_w$} {:>from_w$} -> {:<to_w$}   {}",
                    clean(&flip.id),
                    flip.a.as_str(),
                    flip.b.as_str(),
                    clean(&flip.title)
                )?;
            }
            for o in &a.options {
                let (from, to) = (shown(o, &o.a), shown(o, &o.b));
                match o.source {
                    SourceKind::Kconfig => {
                        writeln!(f, "    CONFIG_{}: {from} -> {to}", clean(&o.key))
                    }
                    _ => writeln!(
                        f,
                        "    {} {}: {from} -> {to}",
                        o.source.as_str(),
                        clean(&o.key)
                    ),
                }?;
            }
        }
        writeln!(
            f,
            "\n{} rule(s) newly failing in B, {} newly passing",
            self.regressions, self.improvements
        )
    }
}

/// One side's value of a setting, as a reader of that source says it.
fn shown(o: &OptionDiff, v: &Option<String>) -> String {
    match (o.source, v.as_deref()) {
        (SourceKind::Kconfig, None | Some("n")) => "is not set".to_string(),
        (_, None) => "-".to_string(),
        (_, Some("")) => "(present)".to_string(),
        (_, Some(v)) => clean(v).into_owned(),
    }
}
