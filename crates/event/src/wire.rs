//! Serde helpers for the state a scan gathers before its findings (stage
//! one), so that it can be shipped between processes (a Spark executor and
//! the driver) and merged there.
//!
//! The state holds `&'static str` values from the parsers' fixed vocabulary
//! (`event.action`, a protocol, a service); serde cannot borrow those for
//! `'static` from an input buffer, so they travel as text and come back
//! through [`intern`]. Maps whose keys hold such values travel as a list of
//! `(key, value)` pairs ([`entries`]), with the key converted by [`WireKey`].
//!
//! The format used for the state is MessagePack with named fields
//! (`rmp-serde`'s `to_vec_named`): self-describing, so a field that
//! `skip_serializing_if` leaves out still reads back, and maps may have any
//! key. [`Timestamp`](crate::Timestamp) travels as its microseconds in such a
//! binary format and as RFC 3339 text in JSON.

use std::collections::HashSet;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Distinct texts interned before [`intern`] stops adding new ones.
const INTERNED_KEPT: usize = 4096;

static INTERNED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

/// The `'static` copy of `text`: each distinct text is leaked once and then
/// shared. The values are the parsers' vocabulary (a few hundred at most);
/// past [`INTERNED_KEPT`] distinct texts, a new one reads as `"other"`, so a
/// state from an unexpected source cannot grow memory without bound.
pub fn intern(text: &str) -> &'static str {
    let mut set = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    let set = set.get_or_insert_with(HashSet::new);
    if let Some(known) = set.get(text) {
        return known;
    }
    if set.len() >= INTERNED_KEPT {
        return "other";
    }
    let leaked: &'static str = Box::leak(text.into());
    set.insert(leaked);
    leaked
}

/// A `&'static str` field in a derived state: written `StaticStr` rather than
/// `&'static str` so that serde's derive does not take it for text borrowed
/// from the input (which would tie the state to a `'static` buffer); read
/// and written through [`static_str`] or [`option_static_str`].
pub type StaticStr = &'static str;

/// A map key (or a part of one) as it travels: `&'static str` as text, the
/// rest as itself.
pub trait WireKey: Sized {
    /// The form written and read.
    type Wire: Serialize + DeserializeOwned;
    /// This key in its travelling form.
    fn to_wire(&self) -> Self::Wire;
    /// The key back from its travelling form.
    fn from_wire(wire: Self::Wire) -> Self;
}

impl WireKey for &'static str {
    type Wire = String;
    fn to_wire(&self) -> String {
        (*self).to_string()
    }
    fn from_wire(wire: String) -> &'static str {
        intern(&wire)
    }
}

macro_rules! same_on_the_wire {
    ($($t:ty),*) => {$(
        impl WireKey for $t {
            type Wire = $t;
            fn to_wire(&self) -> $t {
                self.clone()
            }
            fn from_wire(wire: $t) -> $t {
                wire
            }
        }
    )*};
}

same_on_the_wire!(
    i64,
    u64,
    usize,
    IpAddr,
    Option<IpAddr>,
    Option<String>,
    String,
    Box<str>,
    Arc<str>
);

impl<A: WireKey, B: WireKey> WireKey for (A, B) {
    type Wire = (A::Wire, B::Wire);
    fn to_wire(&self) -> Self::Wire {
        (self.0.to_wire(), self.1.to_wire())
    }
    fn from_wire(wire: Self::Wire) -> Self {
        (A::from_wire(wire.0), B::from_wire(wire.1))
    }
}

impl<A: WireKey, B: WireKey, C: WireKey> WireKey for (A, B, C) {
    type Wire = (A::Wire, B::Wire, C::Wire);
    fn to_wire(&self) -> Self::Wire {
        (self.0.to_wire(), self.1.to_wire(), self.2.to_wire())
    }
    fn from_wire(wire: Self::Wire) -> Self {
        (
            A::from_wire(wire.0),
            B::from_wire(wire.1),
            C::from_wire(wire.2),
        )
    }
}

impl<A: WireKey, B: WireKey, C: WireKey, D: WireKey> WireKey for (A, B, C, D) {
    type Wire = (A::Wire, B::Wire, C::Wire, D::Wire);
    fn to_wire(&self) -> Self::Wire {
        (
            self.0.to_wire(),
            self.1.to_wire(),
            self.2.to_wire(),
            self.3.to_wire(),
        )
    }
    fn from_wire(wire: Self::Wire) -> Self {
        (
            A::from_wire(wire.0),
            B::from_wire(wire.1),
            C::from_wire(wire.2),
            D::from_wire(wire.3),
        )
    }
}

/// `#[serde(with = "vigie_event::wire::entries")]` on a map (any whose
/// references iterate as `(&K, &V)` and that collects from `(K, V)`): in a
/// binary format a list of `(key, value)` pairs with the key in its
/// [`WireKey`] form; in JSON the map it always was (keys that are text).
pub mod entries {
    use super::*;

    /// Writes the pairs.
    pub fn serialize<'m, M, K, V, S>(map: &'m M, serializer: S) -> Result<S::Ok, S::Error>
    where
        &'m M: IntoIterator<Item = (&'m K, &'m V)>,
        K: WireKey + 'm,
        V: Serialize + 'm,
        S: Serializer,
    {
        if serializer.is_human_readable() {
            // JSON keeps the map it always wrote (text keys only there).
            return serializer.collect_map(map.into_iter().map(|(k, v)| (k.to_wire(), v)));
        }
        let mut seq = serializer.serialize_seq(None)?;
        for (k, v) in map {
            seq.serialize_element(&(k.to_wire(), v))?;
        }
        seq.end()
    }

    /// Reads the pairs back into a map.
    pub fn deserialize<'de, M, K, V, D>(deserializer: D) -> Result<M, D::Error>
    where
        M: FromIterator<(K, V)>,
        K: WireKey + Eq + Hash,
        V: DeserializeOwned,
        D: Deserializer<'de>,
    {
        let pairs: Vec<(K::Wire, V)> = if deserializer.is_human_readable() {
            std::collections::BTreeMap::<String, V>::deserialize(deserializer)?
                .into_iter()
                .map(|(k, v)| {
                    let key = serde_json::Value::String(k);
                    serde_json::from_value(key)
                        .map(|k| (k, v))
                        .map_err(serde::de::Error::custom)
                })
                .collect::<Result<_, _>>()?
        } else {
            Vec::deserialize(deserializer)?
        };
        Ok(pairs
            .into_iter()
            .map(|(k, v)| (K::from_wire(k), v))
            .collect())
    }
}

/// `#[serde(with = "vigie_event::wire::static_str")]` on a `&'static str`.
pub mod static_str {
    use super::*;

    /// Writes the text.
    pub fn serialize<S: Serializer>(
        value: &&'static str,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }

    /// Reads the text back, interned.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'static str, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(intern(&text))
    }
}

/// `#[serde(with = "vigie_event::wire::option_static_str")]` on an
/// `Option<&'static str>`.
pub mod option_static_str {
    use super::*;

    /// Writes the text or nothing.
    pub fn serialize<S: Serializer>(
        value: &Option<&'static str>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    /// Reads the text back, interned.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<&'static str>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        Ok(text.as_deref().map(intern))
    }
}

/// Writes `value` in the state's format (MessagePack, named fields).
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    rmp_serde::to_vec_named(value)
}

/// Reads a value [`to_bytes`] wrote.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, rmp_serde::decode::Error> {
    rmp_serde::from_slice(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct State {
        #[serde(with = "entries")]
        hours: HashMap<(&'static str, i64), u64>,
        #[serde(with = "static_str")]
        protocol: StaticStr,
        #[serde(with = "option_static_str")]
        action: Option<StaticStr>,
        #[serde(with = "entries")]
        coverage: BTreeMap<&'static str, u64>,
        when: crate::Timestamp,
    }

    #[test]
    fn static_texts_and_keyed_maps_come_back() {
        let state = State {
            hours: HashMap::from([(("imap", 495_000), 3), (("smtp", 495_001), 1)]),
            protocol: "IMAP",
            action: Some("message-open"),
            coverage: BTreeMap::from([("dovecot", 7)]),
            when: crate::Timestamp(1_795_905_569_000_123),
        };
        let bytes = to_bytes(&state).unwrap();
        let back: State = from_bytes(&bytes).unwrap();
        assert_eq!(back, state);
        // Interned: the same text twice is the same leaked copy.
        assert!(std::ptr::eq(intern("IMAP"), back.protocol));
    }

    #[test]
    fn timestamp_is_microseconds_in_binary_and_text_in_json() {
        let when = crate::Timestamp(1_795_905_569_000_123);
        assert_eq!(
            serde_json::to_string(&when).unwrap(),
            "\"2026-11-28T22:39:29.000123Z\""
        );
        // MessagePack: one 64-bit integer (a marker byte and 8 bytes).
        assert_eq!(to_bytes(&when).unwrap().len(), 9);
        assert_eq!(
            from_bytes::<crate::Timestamp>(&to_bytes(&when).unwrap()).unwrap(),
            when
        );
    }
}
