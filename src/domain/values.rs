//! Checked values of requests. Each type owns its limits: it reads itself from JSON
//! ([`FromJson`], with the message that names what is wrong), and describes itself to OpenAPI
//! with the same limits (`utoipa::PartialSchema`), so that the documented schema is the parser.
//! [`FieldReader`] reads a JSON object field by field with these types, collecting every bad
//! field for one 422.

use crate::error::{Error, FieldError, Result};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

/// A value read from one JSON field; `Err` is the message for that field.
pub trait FromJson: Sized {
    fn from_json(value: Value) -> std::result::Result<Self, String>;
}

/// Reads a JSON object field by field, collecting every bad field (`null` counts as absent).
#[derive(Debug)]
pub struct FieldReader {
    object: Map<String, Value>,
    /// Prefixed to every field name (`config.` for an experiment's settings).
    prefix: &'static str,
    errors: Vec<FieldError>,
}

impl FieldReader {
    /// A reader of `body`, which must be a JSON object (else the 422 names `body`).
    pub fn new(body: Value) -> Result<FieldReader> {
        match body {
            Value::Object(object) => Ok(FieldReader::of(object, "")),
            _ => Err(Error::validation("body", "must be a JSON object")),
        }
    }

    pub fn of(object: Map<String, Value>, prefix: &'static str) -> FieldReader {
        FieldReader {
            object,
            prefix,
            errors: Vec::new(),
        }
    }

    /// Whether `key` is present and not `null`.
    pub fn has(&self, key: &str) -> bool {
        self.object.get(key).is_some_and(|v| !v.is_null())
    }

    /// The value of `key` read as `T`; `None` when absent, `null` or bad (recorded).
    pub fn optional<T: FromJson>(&mut self, key: &str) -> Option<T> {
        match self.object.remove(key) {
            None | Some(Value::Null) => None,
            Some(value) => T::from_json(value).map_err(|message| self.reject(key, message)).ok(),
        }
    }

    /// [`FieldReader::optional`], recording "is required" when absent.
    pub fn required<T: FromJson>(&mut self, key: &str) -> Option<T> {
        if !self.has(key) {
            self.reject(key, "is required");
            self.object.remove(key);
            return None;
        }
        self.optional(key)
    }

    /// Records a bad field.
    pub fn reject(&mut self, key: &str, message: impl Into<String>) {
        self.errors
            .push(FieldError::new(format!("{}{key}", self.prefix), message));
    }

    /// The fields not read yet.
    pub fn rest(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.object)
    }

    /// The bad fields found, in the order they were read.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// Ok when every field read was good, else the 422 naming each bad one.
    pub fn finish(self) -> Result<()> {
        validation(self.errors)
    }
}

/// Ok for no errors, else one `Validation` error naming each field.
pub fn validation(fields: Vec<FieldError>) -> Result<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let message = fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ");
    Err(Error::Validation { message, fields })
}

/// Decodes a JSON body into a request type whose fields are all optional or defaulted, turning a
/// shape error into a 422 that names the field at fault: the top-level key whose value does not
/// fit, and for a list the first bad item (`personas[2]`).
pub fn decode_fields<T: serde::de::DeserializeOwned>(body: Value) -> Result<T> {
    let bad = |field: String, message: String| Err(Error::validation(field, message));
    let Some(object) = body.as_object() else {
        return bad("body".into(), "must be a JSON object".into());
    };
    let error = match serde_json::from_value::<T>(body.clone()) {
        Ok(request) => return Ok(request),
        Err(e) => e,
    };
    // Decode each key alone (the others are optional) to find the one that fails.
    let probe = |key: &str, value: &Value| serde_json::from_value::<T>(serde_json::json!({ key: value })).err();
    for (key, value) in object {
        let Some(key_error) = probe(key, value) else { continue };
        if let Value::Array(items) = value {
            for (i, item) in items.iter().enumerate() {
                if let Some(item_error) = probe(key, &Value::Array(vec![item.clone()])) {
                    return bad(format!("{key}[{i}]"), item_error.to_string());
                }
            }
        }
        return bad(key.clone(), key_error.to_string());
    }
    bad("body".into(), error.to_string())
}

/// Which of `sources` a body gives (present and not `null`) when it must give exactly one: its
/// index, else the 422: `body` when the body is not an object, `none_field` when none is given,
/// and when several are, `several_field` or else each one given.
pub fn exactly_one_of(body: &Value, sources: &[&str], none_field: &str, several_field: Option<&str>) -> Result<usize> {
    if !body.is_object() {
        return Err(Error::validation("body", "must be a JSON object"));
    }
    let given: Vec<&str> = sources
        .iter()
        .copied()
        .filter(|source| body.get(source).is_some_and(|v| !v.is_null()))
        .collect();
    let names = match sources {
        [init @ .., last] if !init.is_empty() => format!("{} or {last}", init.join(", ")),
        _ => sources.join(""),
    };
    match given.as_slice() {
        [one] => Ok(sources.iter().position(|source| source == one).unwrap_or_default()),
        [] => Err(Error::validation(none_field, format!("give one of {names}"))),
        several => {
            let message = format!("give only one of {names} (got {})", several.join(", "));
            let fields = match several_field {
                Some(field) => vec![FieldError::new(field, message.clone())],
                None => several.iter().map(|f| FieldError::new(*f, message.clone())).collect(),
            };
            Err(Error::Validation { fields, message })
        }
    }
}

/// A field that must be absent or `null` because the body gave another of the fields it must
/// give exactly one of (`Option<Absent>` reads `null` as `None`; any other value is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Absent;

impl<'de> serde::Deserialize<'de> for Absent {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> std::result::Result<Absent, D::Error> {
        Err(serde::de::Error::custom("must be absent or null"))
    }
}

/// The schema of an [`Absent`] field: `null` only.
pub fn absent_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Null)
        .description(Some("Absent or `null`: another source is given."))
}

/// The schema of an optional choice: one of `names`, or `null` for the default.
pub fn nullable_names(names: &[&str], description: &str) -> ObjectBuilder {
    let mut values: Vec<Value> = names.iter().map(|name| (*name).into()).collect();
    values.push(Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::String, Type::Null]))
        .enum_values(Some(values))
        .description(Some(description))
}

/// The schema of a stored resource's id: a non-blank string (it must also exist: 404 otherwise).
pub fn id_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .pattern(Some(r"\S"))
}

/// A JSON number with an integral value (JSON Schema counts `3.0` as an integer).
pub fn integer(value: &Value) -> Option<i128> {
    if let Some(n) = value.as_u64() {
        return Some(i128::from(n));
    }
    if let Some(n) = value.as_i64() {
        return Some(i128::from(n));
    }
    value
        .as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() < 1e18)
        .map(|f| f as i128)
}

/// Largest count or index [`integral_usize`] reads (the documented `maximum` of such fields).
pub const MAX_INTEGRAL: u32 = u32::MAX;

/// Reads a `usize` from 0 to [`MAX_INTEGRAL`] from a JSON number with an integral value (`3.0`
/// too, as JSON Schema's `integer` allows); for `#[serde(deserialize_with = ...)]`.
pub fn integral_usize<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<usize, D::Error> {
    let value = <Value as serde::Deserialize>::deserialize(d)?;
    integer(&value)
        .and_then(|n| u32::try_from(n).ok())
        .map(|n| n as usize)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid value: {value}, expected an integer from 0 to {MAX_INTEGRAL}"
            ))
        })
}

/// [`integral_usize`] for an optional field (`null` is `None`; add `#[serde(default)]`).
pub fn optional_integral_usize<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<usize>, D::Error> {
    let value = <Value as serde::Deserialize>::deserialize(d)?;
    if value.is_null() {
        return Ok(None);
    }
    integral_usize(value).map(Some).map_err(serde::de::Error::custom)
}

/// Implements `ToSchema` (by its type name) for a type with a `PartialSchema`.
macro_rules! named_schema {
    ($($name:ident),*) => {
        $(impl utoipa::ToSchema for $name {})*
    };
}

/// `T`'s schema also allowing `null`, which optional fields read as absent (for
/// `#[schema(schema_with = nullable::<T>)]`).
pub fn nullable<T: utoipa::PartialSchema>() -> Schema {
    match T::schema() {
        RefOr::T(Schema::Object(mut object)) => {
            object.schema_type = match object.schema_type {
                SchemaType::Type(single) => SchemaType::Array(vec![single, Type::Null]),
                SchemaType::Array(mut types) => {
                    types.push(Type::Null);
                    SchemaType::Array(types)
                }
                SchemaType::AnyValue => SchemaType::AnyValue,
            };
            if let Some(values) = object.enum_values.as_mut() {
                values.push(Value::Null);
            }
            Schema::Object(object)
        }
        RefOr::T(Schema::Array(mut array)) => {
            array.schema_type = SchemaType::Array(vec![Type::Array, Type::Null]);
            Schema::Array(array)
        }
        RefOr::T(other) => other,
        RefOr::Ref(reference) => Schema::OneOf(
            utoipa::openapi::schema::OneOfBuilder::new()
                .item(reference)
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .build(),
        ),
    }
}

/// Personas per job: 1–20.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonaCount(u32);

impl PersonaCount {
    pub const MIN: u32 = *crate::config::PERSONA_COUNTS.start();
    pub const MAX: u32 = *crate::config::PERSONA_COUNTS.end();

    pub fn new(count: u32) -> std::result::Result<PersonaCount, String> {
        if (Self::MIN..=Self::MAX).contains(&count) {
            Ok(PersonaCount(count))
        } else {
            Err(format!("must be between {} and {}", Self::MIN, Self::MAX))
        }
    }

    /// [`PersonaCount::new`] of a `usize` (configuration and CLI counts).
    pub fn of(count: usize) -> std::result::Result<PersonaCount, String> {
        u32::try_from(count)
            .map_err(|_| format!("must be between {} and {}", Self::MIN, Self::MAX))
            .and_then(PersonaCount::new)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl FromJson for PersonaCount {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        match integer(&value) {
            Some(n) => u32::try_from(n)
                .map_err(|_| format!("must be between {} and {}", Self::MIN, Self::MAX))
                .and_then(PersonaCount::new),
            None => Err(format!("must be an integer between {} and {}", Self::MIN, Self::MAX)),
        }
    }
}

impl utoipa::PartialSchema for PersonaCount {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(Self::MIN))
            .maximum(Some(Self::MAX))
            .description(Some("Personas to generate (1–20)."))
            .examples([3])
            .into()
    }
}

/// A random seed: any integer from 0 to 2^64 − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed(pub u64);

impl FromJson for Seed {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        integer(&value)
            .and_then(|n| u64::try_from(n).ok())
            .map(Seed)
            .ok_or_else(|| format!("must be an integer from 0 to {}", u64::MAX))
    }
}

impl utoipa::PartialSchema for Seed {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(u64::MAX as usize))
            .description(Some("Random seed (the configured default when absent)."))
            .into()
    }
}

/// A string with a non-blank value of at most `MAX` characters, stored trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    fn check(value: Value, what: &str) -> std::result::Result<Self, String> {
        let Value::String(text) = value else {
            return Err(format!("must be {what}"));
        };
        if text.chars().count() > MAX {
            return Err(format!("must be at most {MAX} characters"));
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Text(if trimmed.len() == text.len() {
            text
        } else {
            trimmed.to_string()
        }))
    }

    pub fn text_schema(description: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX))
            // Not blank: the value is trimmed.
            .pattern(Some(r"\S"))
            .description(Some(description))
    }
}

impl<const MAX: usize> FromJson for Text<MAX> {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        Text::check(value, "a string")
    }
}

/// Longest short text field (`model`, `experiment`, `experiment_id`, `provider`), in characters.
/// Stored fields are repeated in every list response, so each one has a bound.
pub const MAX_SHORT_CHARS: usize = 256;

/// A short name: a model, an experiment name or id.
pub type ShortText = Text<MAX_SHORT_CHARS>;

impl utoipa::PartialSchema for ShortText {
    fn schema() -> RefOr<Schema> {
        ShortText::text_schema("A short non-blank text.").into()
    }
}

/// Longest `data` value (a path, URL or dataset id), in characters.
pub const MAX_DATA_CHARS: usize = 4096;

/// What a job reads: a path under the data directory, an http(s) URL or a `dataset-…` id. Its
/// shape is checked here; what it refers to, when the job is submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRef(Text<MAX_DATA_CHARS>);

impl DataRef {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn into_string(self) -> String {
        self.0.into_string()
    }
}

impl FromJson for DataRef {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        Text::check(value, "a string (a path or URL)").map(DataRef)
    }
}

impl utoipa::PartialSchema for DataRef {
    fn schema() -> RefOr<Schema> {
        Text::<MAX_DATA_CHARS>::text_schema(
            "A path under the server's data directory, an http(s) URL the worker downloads, or a \
             `dataset-…` id of an upload.",
        )
        .examples(["interviews.csv"])
        .into()
    }
}

/// A provider name: `local`, `openai`, `anthropic`, `gemini` or `ollama` (whether it is
/// configured is checked when the job is submitted: 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderName(ShortText);

impl ProviderName {
    /// The names documented (the parser also takes other casings and the `google` alias).
    pub const NAMES: [&str; 5] = ["local", "openai", "anthropic", "gemini", "ollama"];

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn into_string(self) -> String {
        self.0.into_string()
    }
}

impl FromJson for ProviderName {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        ShortText::from_json(value).map(ProviderName)
    }
}

impl utoipa::PartialSchema for ProviderName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Self::NAMES))
            .description(Some("The provider (default `generation.provider`, normally `local`)."))
            .into()
    }
}

/// Largest generation `config` object, in bytes of compact JSON.
pub const MAX_CONFIG_BYTES: usize = 16 * 1024;

/// Generation options (`config`): a JSON object of at most [`MAX_CONFIG_BYTES`], passed to the
/// pipeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerationConfig(pub Map<String, Value>);

impl FromJson for GenerationConfig {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Object(map) if json_len(&map) > MAX_CONFIG_BYTES => {
                Err(format!("must be at most {MAX_CONFIG_BYTES} bytes of JSON"))
            }
            Value::Object(map) => Ok(GenerationConfig(map)),
            _ => Err("must be an object".into()),
        }
    }
}

impl utoipa::PartialSchema for GenerationConfig {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Generation options, passed to the pipeline (at most 16 KiB of JSON).",
            ))
            .into()
    }
}

/// Length of a value's compact JSON, counted without building the string.
pub fn json_len(value: &impl serde::Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// An absolute http(s) URL of at most [`crate::net::MAX_URL_BYTES`]; whether its host may be
/// private is the caller's policy ([`WebhookUrl::check_target`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Refuses a private, loopback or link-local target unless `allow_private`.
    pub fn check_target(&self, allow_private: bool) -> std::result::Result<(), String> {
        crate::net::check_url(&self.0, allow_private)
            .map(|_| ())
            .map_err(|reason| format!("must be an absolute public http(s) URL: {reason}"))
    }
}

impl FromJson for WebhookUrl {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        let url = Text::<{ crate::net::MAX_URL_BYTES }>::from_json(value)?;
        crate::net::check_url(url.as_str(), true)
            .map(|parsed| WebhookUrl(parsed.to_string()))
            .map_err(|reason| format!("must be an absolute public http(s) URL: {reason}"))
    }
}

impl utoipa::PartialSchema for WebhookUrl {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uri".into())))
            .max_length(Some(crate::net::MAX_URL_BYTES))
            .pattern(Some(r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+"))
            .description(Some(
                "Absolute public http(s) URL notified when the job completes or fails.",
            ))
            .into()
    }
}

named_schema!(PersonaCount, Seed, DataRef, ProviderName, GenerationConfig, WebhookUrl);
impl utoipa::ToSchema for ShortText {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn persona_counts_take_integral_numbers_from_1_to_20() {
        assert_eq!(PersonaCount::from_json(json!(4.0)).unwrap().get(), 4);
        assert_eq!(
            PersonaCount::from_json(json!(21)).unwrap_err(),
            "must be between 1 and 20"
        );
        assert_eq!(
            PersonaCount::from_json(json!(-1)).unwrap_err(),
            "must be between 1 and 20"
        );
        assert_eq!(
            PersonaCount::from_json(json!("3")).unwrap_err(),
            "must be an integer between 1 and 20"
        );
        assert!(PersonaCount::from_json(json!(2.5)).is_err());
    }

    #[test]
    fn texts_are_trimmed_non_blank_and_bounded_in_characters() {
        assert_eq!(ShortText::from_json(json!(" a ")).unwrap().as_str(), "a");
        assert_eq!(ShortText::from_json(json!("  ")).unwrap_err(), "must not be empty");
        assert_eq!(ShortText::from_json(json!(5)).unwrap_err(), "must be a string");
        assert!(ShortText::from_json(json!("é".repeat(256))).is_ok());
        assert!(ShortText::from_json(json!("a".repeat(257))).is_err());
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // only decoded
    struct Probe {
        name: Option<String>,
        items: Option<Vec<u32>>,
    }

    fn bad_field(body: Value) -> (String, String) {
        let Err(Error::Validation { mut fields, .. }) = decode_fields::<Probe>(body) else {
            panic!("a validation error expected");
        };
        let field = fields.remove(0);
        (field.field, field.message)
    }

    #[test]
    fn decoded_bodies_name_the_field_at_fault() {
        assert!(decode_fields::<Probe>(json!({"name": "a", "items": [1, 2]})).is_ok());
        assert_eq!(bad_field(json!([1])).0, "body");
        let (field, message) = bad_field(json!({"name": 3, "items": [1]}));
        assert_eq!(field, "name");
        assert!(message.contains("expected a string"), "{message}");
        assert_eq!(bad_field(json!({"items": [1, 2, "x"]})).0, "items[2]");
        assert_eq!(bad_field(json!({"items": 5})).0, "items");
        let (field, message) = bad_field(json!({"name": "a", "colour": 1}));
        assert_eq!(field, "colour");
        assert!(message.starts_with("unknown field `colour`"), "{message}");
    }

    #[test]
    fn exactly_one_source_is_picked_or_the_sources_are_named() {
        let sources = ["a", "b", "c"];
        assert_eq!(
            exactly_one_of(&json!({"a": null, "b": 1}), &sources, "a", None).unwrap(),
            1
        );
        let Err(Error::Validation { fields, .. }) = exactly_one_of(&json!([1]), &sources, "a", None) else {
            panic!("a body that is not an object must be refused");
        };
        assert_eq!(fields[0].field, "body");
        let Err(Error::Validation { fields, message }) = exactly_one_of(&json!({"c": null}), &sources, "a", None)
        else {
            panic!("none given must be refused");
        };
        assert_eq!(
            (fields[0].field.as_str(), message.as_str()),
            ("a", "a: give one of a, b or c")
        );
        let one_field = exactly_one_of(&json!({"a": 1, "c": 2}), &sources, "a", Some("b"));
        let Err(Error::Validation { fields, .. }) = one_field else {
            panic!("several given must be refused");
        };
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].field, "b");
        let Err(Error::Validation { fields, message }) = exactly_one_of(&json!({"a": 1, "c": 2}), &sources, "a", None)
        else {
            panic!("several given must be refused");
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["a", "c"]);
        assert_eq!(message, "give only one of a, b or c (got a, c)");
    }

    #[test]
    fn integral_counts_take_integral_numbers_up_to_the_documented_maximum() {
        #[derive(serde::Deserialize)]
        struct Counted {
            #[serde(deserialize_with = "integral_usize")]
            n: usize,
            #[serde(default, deserialize_with = "optional_integral_usize")]
            m: Option<usize>,
        }
        let read = |body: Value| serde_json::from_value::<Counted>(body).map(|c| (c.n, c.m));
        assert_eq!(read(json!({"n": 3.0, "m": null})).unwrap(), (3, None));
        assert_eq!(
            read(json!({"n": 0, "m": 4294967295_u64})).unwrap(),
            (0, Some(4_294_967_295))
        );
        for bad in [
            json!({"n": 2.5}),
            json!({"n": -1}),
            json!({"n": 4294967296_u64}),
            json!({"n": "3"}),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_reader_names_every_bad_field_with_its_prefix() {
        let body = json!({"count": 0, "data": null, "seed": 7});
        let mut reader = FieldReader::of(body.as_object().unwrap().clone(), "config.");
        assert_eq!(reader.optional::<PersonaCount>("count"), None);
        assert_eq!(reader.required::<DataRef>("data"), None);
        assert_eq!(reader.optional::<Seed>("seed"), Some(Seed(7)));
        let fields: Vec<String> = reader.into_errors().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["config.count", "config.data"]);
        assert!(FieldReader::new(json!([1])).is_err());
    }
}
