//! Every unknown key in a file. serde stops at the first key a block doesn't take, so when a
//! file fails to parse it is read again as plain YAML, and every mapping's keys are checked
//! against the JSON Schema of the block it sits in. The schema is generated from the same
//! types serde reads, so the two agree on which keys each block takes.

use std::fmt;

use schemars::JsonSchema as _;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::{Location, Options, Spanned};

use super::document::Document;
use super::values::ProfileSettings;

/// A key a block doesn't take, where it is, and the keys the block does take.
#[derive(Debug)]
pub struct UnknownKey {
    pub key: String,
    pub location: Location,
    pub expected: Vec<String>,
}

/// The unknown keys of `text`, in file order; none when it isn't YAML that can be read at all.
pub fn find(text: &str, options: Options) -> Vec<UnknownKey> {
    let Ok(node) = serde_saphyr::from_str_with_options::<Node>(text, options) else {
        return Vec::new();
    };
    let schema = schemars::schema_for!(Document);
    let root = schema.as_value();
    let mut found = Vec::new();
    walk(&node, root, root, &mut found);
    found
}

/// Whether `reference` is to the settings' schema: serde lets any key through there, and
/// validation checks each against DocuSign's catalogue with a message of its own, so they are
/// not looked at here.
fn is_settings(reference: &str) -> bool {
    reference.strip_prefix("#/$defs/") == Some(&*ProfileSettings::schema_name())
}

fn walk(node: &Node, schema: &Value, root: &Value, found: &mut Vec<UnknownKey>) {
    match node {
        Node::Map(entries) => {
            let Some(block) = part(schema, root, "properties") else {
                return;
            };
            let properties = block.get("properties").and_then(Value::as_object);
            let closed = block.get("additionalProperties") == Some(&Value::Bool(false));
            for (key, value) in entries {
                match properties.and_then(|properties| properties.get(&key.value.0)) {
                    Some(property) => walk(value, property, root, found),
                    None if closed => found.push(UnknownKey {
                        key: key.value.0.clone(),
                        location: key.referenced,
                        expected: properties
                            .map(|properties| properties.keys().cloned().collect())
                            .unwrap_or_default(),
                    }),
                    None => {}
                }
            }
        }
        Node::List(items) => {
            if let Some(each) = part(schema, root, "items").and_then(|list| list.get("items")) {
                for item in items {
                    walk(item, each, root, found);
                }
            }
        }
        Node::Scalar => {}
    }
}

/// The part of `schema` that describes a mapping (`has` is `properties`) or a list (`items`):
/// the schema itself, what its `$ref` points to, or one of its `anyOf`/`oneOf` branches.
fn part<'s>(schema: &'s Value, root: &'s Value, has: &str) -> Option<&'s Value> {
    if schema.get(has).is_some() {
        return Some(schema);
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if is_settings(reference) {
            return None;
        }
        let target = root.pointer(reference.strip_prefix('#')?)?;
        return part(target, root, has);
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|alternatives| schema.get(*alternatives).and_then(Value::as_array))
        .flatten()
        .find_map(|branch| part(branch, root, has))
}

/// A YAML node, with the location of every mapping key and nothing else.
enum Node {
    Map(Vec<(Spanned<KeyText>, Node)>),
    List(Vec<Node>),
    Scalar,
}

/// A mapping key as text, whatever YAML type it has (`1:` and `true:` are keys too).
struct KeyText(String);

/// A `Visitor` method for each scalar type listed, every one making `$made` of the value it
/// is given (bound to `$value`): the visitors here take a scalar alike whatever its type.
macro_rules! visit_scalars {
    ($value:pat => $made:expr; $($visit:ident: $scalar:ty),+ $(,)?) => {
        $(
            fn $visit<E: de::Error>(self, $value: $scalar) -> Result<Self::Value, E> {
                Ok($made)
            }
        )+
    };
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }

    visit_scalars!(_ => Node::Scalar;
        visit_bool: bool, visit_i64: i64, visit_i128: i128, visit_u64: u64, visit_u128: u128,
        visit_f64: f64, visit_str: &str, visit_bytes: &[u8]);

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
}

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = KeyText;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }

    visit_scalars!(v => KeyText(v.to_string());
        visit_str: &str, visit_bool: bool, visit_i64: i64, visit_i128: i128, visit_u64: u64,
        visit_u128: u128, visit_f64: f64);

    fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
        Ok(KeyText("null".to_owned()))
    }

    fn visit_none<E: de::Error>(self) -> Result<KeyText, E> {
        Ok(KeyText("null".to_owned()))
    }

    /// A list or mapping used as a key (`? [a, b]`) names no block's key.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyText, A::Error> {
        while seq.next_element::<Node>()?.is_some() {}
        Ok(KeyText("a list".to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyText, A::Error> {
        while map.next_entry::<Node, Node>()?.is_some() {}
        Ok(KeyText("a mapping".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(String, u64, u64)> {
        find(text, Options::default())
            .into_iter()
            .map(|found| (found.key, found.location.line(), found.location.column()))
            .collect()
    }

    #[test]
    fn finds_every_unknown_key_in_every_block() {
        let text = "\
user: []
users:
  - email: ana@example.com
    frist_name: Ana
    lastname: Lima
    groups: [Sales]
groups:
  - name: Sales
    profile: Sales Sender
policy:
  limits:
    user_closure: 1
  accepted_drift:
    - { object: 'group:Sales', reason: r, until: 2026-01-01, why: x }
";
        assert_eq!(
            keys(text),
            [
                ("user".to_owned(), 1, 1),
                ("frist_name".to_owned(), 4, 5),
                ("lastname".to_owned(), 5, 5),
                ("profile".to_owned(), 9, 5),
                ("user_closure".to_owned(), 12, 5),
                ("why".to_owned(), 14, 62),
            ]
        );
    }

    #[test]
    fn offers_the_keys_of_the_block_the_key_is_in() {
        let found = find("account:\n  idd: x\n", Options::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].expected, ["environment", "id"]);
    }

    #[test]
    fn settings_are_left_to_validation() {
        let text = "permission_profiles:\n  - name: P\n    settings:\n      allowSomething: true\n";
        assert!(keys(text).is_empty());
    }

    #[test]
    fn keys_of_any_type_and_text_that_is_not_yaml() {
        assert_eq!(
            keys("1: x\ntrue: y\n"),
            [("1".to_owned(), 1, 1), ("true".to_owned(), 2, 1)]
        );
        assert!(keys("users: [\n").is_empty());
    }
}
