//! From TOML text to the format's definitions (def.rs), with every problem found in one pass:
//! syntax errors (the parser recovers and goes on), unknown keys (from the parsed table and its
//! spans, checked against the fields serde derives for each definition), and values serde
//! refuses, each item (a rule, a waiver) on its own so that one bad item hides nothing else.
//!
//! Shared with build.rs: this file uses only serde, toml and its neighbours (`super::`).

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use super::diag::{Code, Diagnostic, LazyLines};

/// The keys of one table of the format and the tables some of them hold. The keys are the
/// fields serde derives for the definition (`Shape::of::<CheckDef>()`), so a definition struct
/// is the only list of its keys.
#[derive(Clone, Copy)]
pub struct Shape {
    keys: fn() -> &'static [&'static str],
    inner: fn(&str) -> Option<Inner>,
}

/// What a key of a table holds, when it is more tables.
pub enum Inner {
    /// A table of this shape.
    Table(Shape),
    /// An array of tables of this shape (`[[rule]]`, `any = [...]`).
    Tables(Shape),
    /// A table whose keys are free (rule ids) and whose values are not tables.
    FreeKeys,
}

/// The tables a definition's keys hold (none, for a table of plain values).
pub trait Nest {
    fn inner(_key: &str) -> Option<Inner> {
        None
    }
}

impl Shape {
    pub fn of<T: DeserializeOwned + Nest>() -> Shape {
        Shape {
            keys: fields::<T>,
            inner: T::inner,
        }
    }
}

/// The field names serde derives for a struct, learnt by asking it to read from a deserializer
/// that only records them.
pub fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut probe = FieldProbe(None);
    let _ = T::deserialize(&mut probe);
    probe.0.unwrap_or(&[])
}

struct FieldProbe(Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for &mut FieldProbe {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(serde::de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// A TOML document being loaded: its top table (unknown keys already taken out) and every
/// problem found so far.
pub struct Doc<'a> {
    pub file: &'a str,
    pub table: DeTable<'a>,
    lines: &'a LazyLines<'a>,
    /// Byte ranges the parser could not read: a problem found inside one is a consequence of
    /// the syntax error already reported there, not a problem of its own.
    broken: Vec<std::ops::Range<usize>>,
    pub problems: Vec<Diagnostic>,
}

/// Parse `text` as a document of `shape`: syntax errors and unknown keys become problems (the
/// unknown keys are taken out of the table), and what the parser read is kept for the rest.
pub fn parse<'a>(file: &'a str, text: &'a str, lines: &'a LazyLines<'a>, shape: Shape) -> Doc<'a> {
    let (table, errors) = DeTable::parse_recoverable(text);
    let mut doc = Doc {
        file,
        table: table.into_inner(),
        lines,
        broken: Vec::new(),
        problems: Vec::new(),
    };
    for e in errors {
        doc.problem(
            e.span().map(|s| s.start),
            Code::TomlSyntax,
            e.message().trim().to_string(),
        );
        if let Some(s) = e.span() {
            doc.broken.push(s);
        }
    }
    // Sorted, so that each later problem is checked against them by a binary search.
    doc.broken.sort_by_key(|r| (r.start, r.end));
    let mut found = Vec::new();
    walk(&mut doc.table, shape, "", &mut |start, code, msg| {
        found.push((start, code, msg))
    });
    for (start, code, msg) in found {
        doc.problem(Some(start), code, msg);
    }
    doc
}

impl<'a> Doc<'a> {
    /// Record a problem at a byte offset of the file (`None`: the problem has no place).
    pub fn problem(&mut self, start: Option<usize>, code: Code, message: String) {
        if let Some(s) = start {
            // The ranges that start at or before `s`; the last of them is the one that may
            // hold it (a problem found inside a range the parser could not read is a
            // consequence of that syntax error).
            let before = self.broken.partition_point(|b| b.start <= s);
            if self.broken[..before]
                .last()
                .is_some_and(|b| b.start == s || b.contains(&s))
            {
                return;
            }
        }
        self.problems.push(Diagnostic {
            file: self.file.to_string(),
            at: start.map(|s| self.lines.line_col(s)),
            code,
            message,
        });
    }

    /// Line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(offset)
    }

    /// Take a top-level key out of the document and read it as `T`; a value serde refuses is a
    /// problem, and `None`.
    pub fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let value = self.table.remove(key)?;
        self.read(value)
    }

    /// Take a top-level array of tables out of the document and read each item as `T` on its
    /// own, with the offset where it starts (its `[[header]]`).
    pub fn take_items<T: DeserializeOwned>(&mut self, key: &str) -> Vec<(usize, T)> {
        let Some(value) = self.table.remove(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.into_inner() else {
            return Vec::new(); // reported by the walk
        };
        let mut out = Vec::new();
        for item in items {
            let start = item.span().start;
            if let Some(v) = self.read(item) {
                out.push((start, v));
            }
        }
        out
    }

    /// Read `value` as `T`. A table whose key holds a value serde refuses is read again without
    /// that key, so that one bad value of an item hides no problem of its other keys (a waiver
    /// with a bad date and an empty reason shows both); when the key was required, the item is
    /// given up with the one problem.
    fn read<T: DeserializeOwned>(&mut self, value: Spanned<DeValue<'a>>) -> Option<T> {
        let span = value.span();
        let mut value = value;
        let mut removed: Vec<String> = Vec::new();
        loop {
            let err = match T::deserialize(value.clone().into_deserializer()) {
                Ok(v) => return Some(v),
                Err(e) => e,
            };
            let message = err.message().trim().to_string();
            // The retry only misses a key it took out: that problem is already reported.
            if removed
                .iter()
                .any(|k| message == format!("missing field `{k}`"))
            {
                return None;
            }
            let start = err.span().unwrap_or(span.clone()).start;
            self.problem(Some(start), Code::InvalidValue, message);
            let key = key_holding(&value, start)?;
            if let DeValue::Table(t) = value.get_mut() {
                t.remove(key.as_str());
            }
            removed.push(key);
        }
    }
}

/// The key of `table` whose key or value spans the byte offset `at` (a top-level key only).
fn key_holding(table: &Spanned<DeValue<'_>>, at: usize) -> Option<String> {
    let DeValue::Table(t) = table.get_ref() else {
        return None;
    };
    t.iter()
        .find(|(k, v)| {
            k.span().contains(&at)
                || v.span().start <= at && at < v.span().end.max(v.span().start + 1)
        })
        .map(|(k, _)| k.get_ref().to_string())
}

/// Report every key of `table` (and of the tables it holds) that `shape` does not have, and
/// take it out; report a key holding a plain value where its shape wants tables, and take it
/// out too. `report(offset, code, message)`.
fn walk(
    table: &mut DeTable<'_>,
    shape: Shape,
    path: &str,
    report: &mut dyn FnMut(usize, Code, String),
) {
    let known = (shape.keys)();
    let mut drop: Vec<String> = Vec::new();
    for (key, value) in table.iter_mut() {
        let k: &str = key.get_ref();
        let full = if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        };
        if !known.contains(&k) {
            report(
                key.span().start,
                Code::UnknownKey,
                format!(
                    "unknown key {full:?} (expected one of: {})",
                    known.join(", ")
                ),
            );
            drop.push(k.to_string());
            continue;
        }
        let ok = match (shape.inner)(k) {
            None | Some(Inner::FreeKeys) => true,
            Some(Inner::Table(inner)) => match value.get_mut() {
                DeValue::Table(t) => {
                    walk(t, inner, &full, report);
                    true
                }
                _ => {
                    report(
                        value.span().start,
                        Code::WrongShape,
                        format!("{full} must be a table"),
                    );
                    false
                }
            },
            Some(Inner::Tables(inner)) => {
                let span = value.span();
                match value.get_mut() {
                    DeValue::Array(items) => {
                        tables(items, inner, &full, report);
                        true
                    }
                    _ => {
                        report(
                            span.start,
                            Code::WrongShape,
                            format!("{full} must be an array"),
                        );
                        false
                    }
                }
            }
        };
        if !ok {
            drop.push(k.to_string());
        }
    }
    for k in drop {
        table.remove(k.as_str());
    }
}

/// The items of an array of tables: each checked, and an item that is not a table taken out.
fn tables<'i>(
    items: &mut DeArray<'i>,
    shape: Shape,
    path: &str,
    report: &mut dyn FnMut(usize, Code, String),
) {
    let mut bad = false;
    for item in items.iter_mut() {
        let start = item.span().start;
        match item.get_mut() {
            DeValue::Table(t) => walk(t, shape, path, report),
            _ => {
                report(start, Code::WrongShape, format!("{path} must be a table"));
                bad = true;
            }
        }
    }
    if bad {
        *items = std::mem::replace(items, DeArray::new())
            .into_iter()
            .filter(|item| matches!(item.get_ref(), DeValue::Table(_)))
            .collect();
    }
}
