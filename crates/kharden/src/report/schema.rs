//! JSON Schemas (draft 2020-12) of the versioned JSON documents, generated from the very types
//! the emitters serialise (schemars follows their serde attributes). Published under
//! docs/schemas/ by `kharden generate schemas DIR`; tests/generated.rs fails when the committed
//! files are stale, and the CLI tests validate every JSON document they see against them.
//!
//! Each schema is exact for this release: every object lists its fields and forbids others, so
//! that a test catches an output that strays from its type. A reader of a later release's
//! documents should ignore fields it does not know (docs/json-output.md).

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use crate::policy::{Remedy, Severity, Status};
use crate::probe::facts::{RecordKind, SourceStatus};
use crate::probe::kinds::BlockerKind;
use crate::probe::SourceKind;

/// The schema of one document kind.
pub struct DocSchema {
    /// The document's `schema` string: `kharden.audit/1`.
    pub id: &'static str,
    pub schema: Value,
}

impl DocSchema {
    /// `kharden.audit-1.schema.json`: the id with `/` spelled `-`.
    pub fn file_name(&self) -> String {
        format!("{}.schema.json", self.id.replace('/', "-"))
    }

    /// Pretty JSON with a final newline, as committed.
    pub fn text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.schema).expect("schemas serialise");
        s.push('\n');
        s
    }
}

/// Every versioned document, sorted by id.
pub fn all() -> Vec<DocSchema> {
    let mut docs = vec![
        doc::<super::json::Dated>(crate::audit::SCHEMA),
        doc::<crate::remedy::diff::Diff>("kharden.diff/2"),
        doc::<super::jsonl::Line>(super::jsonl::SCHEMA),
        doc::<crate::fleet::FleetReport>(crate::fleet::SCHEMA),
        doc::<super::rules::RulesDoc>("kharden.rules/1"),
        doc::<super::rules::ExplainDoc>("kharden.explain/1"),
        doc::<super::fix::FixReport>("kharden.fix/1"),
        doc::<super::apply::ApplyReport>("kharden.apply/1"),
        doc::<super::modsign::VerifyReport>("kharden.modsign.verify/1"),
        doc::<super::modsign::InspectReport>("kharden.modsign.inspect/1"),
        doc::<super::modsign::CertsReport>("kharden.modsign.certs/1"),
        doc::<super::modsign::SignTreeDoc>("kharden.modsign.sign-tree/1"),
    ];
    docs.sort_by_key(|d| d.id);
    docs
}

fn doc<T: JsonSchema>(id: &'static str) -> DocSchema {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Value::Object(root) = &mut schema {
        root.insert("title".into(), id.into());
        if let Some(Value::Object(props)) = root.get_mut("properties") {
            props.insert("schema".into(), serde_json::json!({ "const": id }));
        }
    }
    close_objects(&mut schema);
    DocSchema { id, schema }
}

/// `additionalProperties: false` on every object schema that lists its properties (and has no
/// rule of its own for others, as a map's schema has).
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// The words an enum is written as (its strum spellings), as a string schema.
macro_rules! words_schema {
    ($($t:ty),*) => {$(
        impl JsonSchema for $t {
            fn schema_name() -> Cow<'static, str> {
                stringify!($t).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "enum": <$t as strum::VariantNames>::VARIANTS,
                })
            }
        }
    )*};
}

words_schema!(
    SourceKind,
    SourceStatus,
    Severity,
    Status,
    RecordKind,
    BlockerKind
);

/// A rule's remedy as reports show it: where, and the text as written. (policy/rule.rs is
/// shared with build.rs, which has no schemars: the schema is written here, beside the others.)
impl JsonSchema for Remedy {
    fn schema_name() -> Cow<'static, str> {
        "Remedy".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "properties": {
                "source": generator.subschema_for::<SourceKind>(),
                "text": { "type": "string" },
            },
            "required": ["source", "text"],
        })
    }
}

/// A module's verdict (`modsign verify`): one of modsig's status names.
pub(crate) fn module_status(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = modsig::Status::ALL.iter().map(|s| s.name()).collect();
    json_schema!({ "type": "string", "enum": names })
}

/// `summary` of `modsign verify`: a count per status name that occurs.
pub(crate) fn status_counts(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": module_status(generator),
        "additionalProperties": { "type": "integer", "minimum": 0 },
    })
}
