//! A vigie event as rsigma sees it: fields looked up through the [`Mapping`],
//! values borrowed from the event.

use std::borrow::Cow;
use std::cell::OnceCell;

use rsigma_eval::event::{Event as SigmaEvent, EventValue};
use serde_json::Value as Json;
use vigie_event::{Event, Field, Value};

use crate::mapping::Mapping;

/// Borrows an event and the mapping that names its fields for Sigma.
pub struct EventView<'e, 'a> {
    event: &'e Event<'a>,
    mapping: &'e Mapping,
    /// The address fields as text, rendered once: every rule of a dataset
    /// that tests `source.ip` would otherwise format it again.
    addresses: [OnceCell<String>; 3],
}

impl<'e, 'a> EventView<'e, 'a> {
    /// Views `event` through `mapping`.
    pub fn new(event: &'e Event<'a>, mapping: &'e Mapping) -> EventView<'e, 'a> {
        EventView {
            event,
            mapping,
            addresses: Default::default(),
        }
    }
}

fn address_slot(field: Field) -> Option<usize> {
    match field {
        Field::SourceIp => Some(0),
        Field::DestinationIp => Some(1),
        Field::ClientIp => Some(2),
        _ => None,
    }
}

fn sigma_value(value: Value<'_>) -> EventValue<'_> {
    match value {
        Value::Str(s) => EventValue::Str(Cow::Borrowed(s)),
        Value::UInt(n) => i64::try_from(n).map_or_else(
            |_| EventValue::Str(Cow::Owned(n.to_string())),
            EventValue::Int,
        ),
        Value::Ip(ip) => EventValue::Str(Cow::Owned(ip.to_string())),
        Value::Time(t) => EventValue::Str(Cow::Owned(t.to_string())),
        Value::Keywords(words) => EventValue::Array(
            words
                .iter()
                .map(|w| EventValue::Str(Cow::Borrowed(*w)))
                .collect(),
        ),
    }
}

impl SigmaEvent for EventView<'_, '_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        let field = self.mapping.field(path)?;
        match (self.event.value(field)?, address_slot(field)) {
            (Value::Ip(ip), Some(slot)) => Some(EventValue::Str(Cow::Borrowed(
                self.addresses[slot].get_or_init(|| ip.to_string()),
            ))),
            (value, _) => Some(sigma_value(value)),
        }
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        Field::ALL.iter().any(|&f| match self.event.value(f) {
            Some(Value::Str(s)) => pred(s),
            _ => false,
        })
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        Field::ALL
            .iter()
            .filter_map(|&f| match self.event.value(f) {
                Some(Value::Str(s)) => Some(Cow::Borrowed(s)),
                _ => None,
            })
            .collect()
    }

    fn to_json(&self) -> Json {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and the writer emits valid JSON.
        let _ = vigie_event::json::write_event(&mut out, self.event);
        serde_json::from_slice(&out).unwrap_or(Json::Null)
    }
}
