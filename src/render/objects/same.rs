//! Whether a typed object serializes to exactly a given JSON value, decided while serializing it
//! (no second value tree is built). Used by the round-trip check of every rendered object; any
//! form it does not handle counts as "not the same", so the caller falls back to the full
//! comparison, which also explains the difference.

use serde::ser::{self, Serialize};
use serde_json::{Map, Number, Value};

/// `serde_json::to_value(object) == Ok(expected)`, without building the value. `false` also
/// when the object uses a form this comparison does not handle.
pub fn serializes_to<T: Serialize + ?Sized>(object: &T, expected: &Value) -> bool {
    object.serialize(Same(expected)).is_ok()
}

/// Not the same (or not comparable here).
#[derive(Debug)]
pub struct Differs;

impl std::fmt::Display for Differs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("differs")
    }
}

impl std::error::Error for Differs {}

impl ser::Error for Differs {
    fn custom<M: std::fmt::Display>(_: M) -> Differs {
        Differs
    }
}

fn check(same: bool) -> Result<(), Differs> {
    if same { Ok(()) } else { Err(Differs) }
}

/// Compares what is serialized with one expected node.
struct Same<'a>(&'a Value);

impl<'a> ser::Serializer for Same<'a> {
    type Ok = ();
    type Error = Differs;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = ser::Impossible<(), Differs>;
    type SerializeMap = Entries<'a>;
    type SerializeStruct = Entries<'a>;
    type SerializeStructVariant = ser::Impossible<(), Differs>;

    fn serialize_bool(self, v: bool) -> Result<(), Differs> {
        check(self.0 == &Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Differs> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Differs> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Differs> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Differs> {
        check(matches!(self.0, Value::Number(n) if *n == Number::from(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Differs> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Differs> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Differs> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Differs> {
        check(matches!(self.0, Value::Number(n) if *n == Number::from(v)))
    }
    fn serialize_f32(self, v: f32) -> Result<(), Differs> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Differs> {
        let value = Number::from_f64(v).map_or(Value::Null, Value::Number);
        check(self.0 == &value)
    }
    fn serialize_char(self, v: char) -> Result<(), Differs> {
        let mut buffer = [0; 4];
        self.serialize_str(v.encode_utf8(&mut buffer))
    }
    fn serialize_str(self, v: &str) -> Result<(), Differs> {
        check(self.0.as_str() == Some(v))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Differs> {
        Err(Differs)
    }
    fn serialize_none(self) -> Result<(), Differs> {
        check(self.0.is_null())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Differs> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Differs> {
        check(self.0.is_null())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Differs> {
        check(self.0.is_null())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Differs> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Differs> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Differs> {
        match self.0 {
            Value::Object(map) if map.len() == 1 => match map.get(variant) {
                Some(inner) => value.serialize(Same(inner)),
                None => Err(Differs),
            },
            _ => Err(Differs),
        }
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Items<'a>, Differs> {
        match self.0 {
            Value::Array(items) => Ok(Items { items, next: 0 }),
            _ => Err(Differs),
        }
    }
    fn serialize_tuple(self, len: usize) -> Result<Items<'a>, Differs> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items<'a>, Differs> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Differs> {
        Err(Differs)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Entries<'a>, Differs> {
        match self.0 {
            Value::Object(map) => Ok(Entries {
                map,
                seen: 0,
                key: None,
            }),
            _ => Err(Differs),
        }
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Entries<'a>, Differs> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Differs> {
        Err(Differs)
    }
}

/// The elements of an expected list, compared in order; all must be produced.
struct Items<'a> {
    items: &'a [Value],
    next: usize,
}

impl Items<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Differs> {
        let expected = self.items.get(self.next).ok_or(Differs)?;
        self.next += 1;
        value.serialize(Same(expected))
    }

    fn done(self) -> Result<(), Differs> {
        check(self.next == self.items.len())
    }
}

impl ser::SerializeSeq for Items<'_> {
    type Ok = ();
    type Error = Differs;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Differs> {
        self.element(value)
    }
    fn end(self) -> Result<(), Differs> {
        self.done()
    }
}

impl ser::SerializeTuple for Items<'_> {
    type Ok = ();
    type Error = Differs;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Differs> {
        self.element(value)
    }
    fn end(self) -> Result<(), Differs> {
        self.done()
    }
}

impl ser::SerializeTupleStruct for Items<'_> {
    type Ok = ();
    type Error = Differs;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Differs> {
        self.element(value)
    }
    fn end(self) -> Result<(), Differs> {
        self.done()
    }
}

/// The entries of an expected map: every produced key must be there with the same value, and
/// as many keys produced as expected (a key produced twice counts twice: not the same).
struct Entries<'a> {
    map: &'a Map<String, Value>,
    seen: usize,
    /// The expected value of the key just serialized.
    key: Option<&'a Value>,
}

impl<'a> Entries<'a> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Differs> {
        let expected = self.map.get(key).ok_or(Differs)?;
        self.seen += 1;
        value.serialize(Same(expected))
    }

    fn done(self) -> Result<(), Differs> {
        check(self.seen == self.map.len())
    }
}

impl ser::SerializeMap for Entries<'_> {
    type Ok = ();
    type Error = Differs;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Differs> {
        // String keys only (every map key of the emitted kinds is one).
        let key = key
            .serialize(serde_json::value::Serializer)
            .map_err(|_| Differs)?;
        let key = key.as_str().ok_or(Differs)?;
        self.key = Some(self.map.get(key).ok_or(Differs)?);
        self.seen += 1;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Differs> {
        let expected = self.key.take().ok_or(Differs)?;
        value.serialize(Same(expected))
    }
    fn end(self) -> Result<(), Differs> {
        self.done()
    }
}

impl ser::SerializeStruct for Entries<'_> {
    type Ok = ();
    type Error = Differs;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Differs> {
        self.entry(key, value)
    }
    fn end(self) -> Result<(), Differs> {
        self.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Meta {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        labels: BTreeMap<String, String>,
        count: u32,
        ratio: f64,
        list: Vec<i64>,
        unit: Kind,
        plain: Option<u8>,
    }

    #[derive(Serialize)]
    enum Kind {
        Daily,
    }

    fn meta() -> Meta {
        Meta {
            name: "a".to_owned(),
            namespace: None,
            labels: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
            count: 3,
            ratio: 0.5,
            list: vec![-1, 2],
            unit: Kind::Daily,
            plain: None,
        }
    }

    #[test]
    fn agrees_with_serde_json_on_equal_and_different_values() {
        let object = meta();
        let same = serde_json::to_value(&object).unwrap();
        assert!(serializes_to(&object, &same));
        let mut variants = Vec::new();
        for (pointer, replacement) in [
            ("/name", json!("b")),
            ("/labels/k", json!("w")),
            ("/count", json!(3.0)),
            ("/count", json!("3")),
            ("/ratio", json!(1)),
            ("/list/0", json!(1)),
            ("/unit", json!("Weekly")),
            ("/plain", json!(0)),
        ] {
            let mut v = same.clone();
            *v.pointer_mut(pointer).unwrap() = replacement;
            variants.push(v);
        }
        let mut extra = same.clone();
        extra["namespace"] = json!("x");
        variants.push(extra);
        let mut missing = same.clone();
        missing.as_object_mut().unwrap().remove("plain");
        variants.push(missing);
        let mut longer = same.clone();
        longer["list"].as_array_mut().unwrap().push(json!(3));
        variants.push(longer);
        let mut label = same.clone();
        label["labels"]["k2"] = json!("v");
        variants.push(label);
        for v in variants {
            assert_ne!(serde_json::to_value(&object).unwrap(), v);
            assert!(!serializes_to(&object, &v), "{v}");
        }
    }

    #[test]
    fn core_objects_compare_like_serde_json() {
        let value = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"a": "b"}},
            "data": {"k": "v"}
        });
        let object: k8s_openapi::api::core::v1::ConfigMap =
            serde_json::from_value(value.clone()).unwrap();
        assert!(serializes_to(&object, &value));
        let mut typo = value.clone();
        typo["metadata"]["lables"] = json!({});
        let object: k8s_openapi::api::core::v1::ConfigMap =
            serde_json::from_value(typo.clone()).unwrap();
        assert!(!serializes_to(&object, &typo));
    }
}
