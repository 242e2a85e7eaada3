//! YAML values that are more than a plain string: profile settings and policy limits.
//!
//! Each accepts the loose forms an administrator would write (YAML booleans or strings,
//! numbers or percent strings) and keeps the raw form; validation decides what it means.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use crate::model::profile_settings::{SETTINGS, SettingKind};

/// A profile's `settings` mapping, in file order, with the location of every key and value.
#[derive(Clone, Debug, Default)]
pub struct ProfileSettings(pub Vec<(Spanned<String>, Spanned<SettingValue>)>);

/// A setting's value as written: a YAML boolean or a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingValue {
    Bool(bool),
    Text(String),
}

impl<'de> Deserialize<'de> for ProfileSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SettingsVisitor;

        impl<'de> Visitor<'de> for SettingsVisitor {
            type Value = ProfileSettings;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of DocuSign setting names to values")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ProfileSettings::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(ProfileSettings(entries))
            }
        }

        deserializer.deserialize_map(SettingsVisitor)
    }
}

impl<'de> Deserialize<'de> for SettingValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl Visitor<'_> for ValueVisitor {
            type Value = SettingValue;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean or a string")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(SettingValue::Bool(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(SettingValue::Text(v.to_owned()))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

impl JsonSchema for ProfileSettings {
    fn schema_name() -> Cow<'static, str> {
        "ProfileSettings".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let properties: Map<String, Value> = SETTINGS
            .iter()
            .map(|spec| {
                let schema = match spec.kind {
                    SettingKind::Boolean => serde_json::json!({
                        "description": spec.description,
                        "type": ["boolean", "string"],
                        "enum": [true, false, "true", "false"],
                    }),
                    SettingKind::OneOf(values) => serde_json::json!({
                        "description": spec.description,
                        "type": "string",
                        "enum": values,
                    }),
                    SettingKind::Text => serde_json::json!({
                        "description": spec.description,
                        "type": ["boolean", "string"],
                    }),
                };
                (spec.key.to_owned(), schema)
            })
            .collect();
        json_schema!({
            "description": "DocuSign `accountRoleSettings`, spelled as DocuSign spells them.",
            "type": ["object", "null"],
            "properties": properties,
            "additionalProperties": false,
        })
    }
}

/// A policy limit as written: a whole number, a decimal, or a string such as `"5%"`.
#[derive(Clone, Debug, PartialEq)]
pub enum LimitValue {
    Integer(i128),
    Decimal(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for LimitValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LimitVisitor;

        impl Visitor<'_> for LimitVisitor {
            type Value = LimitValue;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a count such as 10 or a percent such as "5%""#)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LimitValue::Integer(v.into()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LimitValue::Integer(v.into()))
            }

            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
                Ok(LimitValue::Integer(v))
            }

            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
                Ok(LimitValue::Integer(i128::try_from(v).unwrap_or(i128::MAX)))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LimitValue::Decimal(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LimitValue::Text(v.to_owned()))
            }
        }

        deserializer.deserialize_any(LimitVisitor)
    }
}

impl JsonSchema for LimitValue {
    fn schema_name() -> Cow<'static, str> {
        "Limit".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A count (`10`) or a percent of the live figure (`\"5%\"`).",
            "oneOf": [
                { "type": "integer", "minimum": 0, "description": "A count." },
                {
                    "type": "string",
                    "pattern": "^[0-9]+(\\.[0-9]+)?%$",
                    "description": "A percent of the live figure, from 0% to 100%."
                }
            ]
        })
    }
}
