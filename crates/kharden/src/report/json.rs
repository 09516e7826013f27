//! The `kharden.audit/2` JSON document (its contract: docs/json-output.md).

use std::io::{self, Write};

use serde::Serialize;

use crate::audit::{date_text, Report};
use crate::policy::user::Date;
use crate::probe::host::HostInfo;

/// Write the document to `out` as it is serialised (no intermediate string: the full profile's
/// report is ~300 KB, and building it first costs more than writing it).
pub fn write(report: &Report, out: &mut impl Write) -> io::Result<()> {
    write_with_today(report, None, out)
}

/// [`write`], for an audit whose waivers were judged as of a day set by `--today`: the document
/// then ends with `"today_override": "YYYY-MM-DD"` (a field added within `kharden.audit/2`).
/// Without it the bytes are exactly those of [`write`].
pub fn write_with_today(
    report: &Report,
    today: Option<Date>,
    out: &mut impl Write,
) -> io::Result<()> {
    write_with(report, today, None, out)
}

/// [`write_with_today`], and with `--with-host` the host's metadata as a final `"host"` object
/// (hostname, boot id, time, kharden version; a field added within `kharden.audit/1`).
pub fn write_with(
    report: &Report,
    today: Option<Date>,
    host: Option<&HostInfo>,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, Pretty::default());
    if today.is_none() && host.is_none() {
        report.serialize(&mut ser)?;
    } else {
        Dated {
            report,
            today_override: today.map(date_text),
            host,
        }
        .serialize(&mut ser)?;
    }
    out.write_all(b"\n")
}

/// The report's fields, then the date `--today` set, then the host (`--with-host`): the whole
/// `kharden.audit` document (its JSON Schema is this type's).
#[derive(Serialize, schemars::JsonSchema)]
pub struct Dated<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    /// Present only with `--today YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub today_override: Option<String>,
    /// Present only with `--with-host`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a HostInfo>,
}

/// `,` then a newline and the indentation of the deepest level a report reaches, with room.
const BREAK: &[u8] = b",\n                                                                ";

/// serde_json's pretty layout (two spaces per level), byte for byte, but each line break and
/// its indentation is one write rather than one write per level: a third of the time spent
/// writing a full-profile report went to those two-byte writes.
#[derive(Default)]
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// A newline and the current indentation, preceded by `,` unless `first`.
    fn line<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        let start = usize::from(first);
        let end = 2 + 2 * self.level;
        match BREAK.get(start..end) {
            Some(bytes) => w.write_all(bytes),
            None => {
                w.write_all(&BREAK[start..2])?;
                (0..self.level).try_for_each(|_| w.write_all(b"  "))
            }
        }
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout is serde_json's pretty printer's, byte for byte, at every depth (including
    /// deeper than the indentation buffer) and for empty arrays and objects.
    #[test]
    fn same_bytes_as_serde_json_pretty() {
        let mut deep = serde_json::json!({"leaf": [1, "two", null, {}, []]});
        for i in 0..40 {
            deep = serde_json::json!({ format!("k{i}"): [deep.clone(), {"x": i}], "e": [] });
        }
        for v in [
            serde_json::json!({}),
            serde_json::json!([]),
            serde_json::json!([[], {}, [1], {"a": {"b": [true, "\"q\"\n"]}}]),
            deep,
        ] {
            let mut ours = Vec::new();
            let mut ser = serde_json::Serializer::with_formatter(&mut ours, Pretty::default());
            v.serialize(&mut ser).unwrap();
            let theirs = serde_json::to_vec_pretty(&v).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }
}
