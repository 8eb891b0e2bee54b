//! Typed domain events to and from the envelope.
//!
//! A service declares its events as one serde enum per aggregate, adjacently
//! tagged (`#[serde(tag = "type", content = "data")]`), and implements
//! [`DomainEvent`] for it. The variant name, qualified by the context, is the
//! event type (`vehicle.EbikeRegistered`); the variant's content is the payload.
//!
//! Event types evolve by schema version. Stored events are never rewritten:
//! when a variant's payload changes shape, bump its [`DomainEvent::schema_version`]
//! and teach [`DomainEvent::upcast`] to turn the old shape into the next one.
//! [`decode`] applies the upcasts, one version at a time, when reading.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::envelope::{NewEvent, RecordedEvent};

/// A typed event enum of one context.
pub trait DomainEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The context prefix of the event types, e.g. `vehicle`.
    const CONTEXT: &'static str;

    /// The types whose later versions only widened a field (see
    /// [`Widened`]); the defaults below read them.
    const WIDENED: Widened = Widened(&[]);

    /// The current schema version of the event type named by `variant`.
    fn schema_version(variant: &str) -> u16 {
        Self::WIDENED.schema_version(variant)
    }

    /// Rewrites a `variant` payload stored at `from_version` into `from_version + 1`.
    fn upcast(variant: &str, from_version: u16, payload: Value) -> Result<Value, String> {
        Self::WIDENED.upcast(variant, from_version, payload)
    }
}

/// The event types of a context whose later versions only widened a
/// field (a value recorded in clear still reads as the sealed kind), each
/// with its current version: an older payload reads unchanged. A
/// [`DomainEvent`] names them in [`DomainEvent::WIDENED`].
#[derive(Debug)]
pub struct Widened(pub &'static [(&'static str, u16)]);

impl Widened {
    /// The current version of `variant`: its entry's, else 1.
    pub fn schema_version(&self, variant: &str) -> u16 {
        self.0
            .iter()
            .find(|(name, _)| *name == variant)
            .map_or(1, |(_, version)| *version)
    }

    /// `payload` unchanged if `variant` was only widened since
    /// `from_version`; no upcaster otherwise.
    pub fn upcast(
        &self,
        variant: &str,
        from_version: u16,
        payload: Value,
    ) -> Result<Value, String> {
        if from_version < self.schema_version(variant) {
            Ok(payload)
        } else {
            Err(format!("no upcaster for {variant} v{from_version}"))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("event type {0} does not belong to this context")]
    ForeignType(String),
    #[error("event {event_type} v{stored} is newer than this build knows (v{current})")]
    FromTheFuture {
        event_type: String,
        stored: u16,
        current: u16,
    },
    #[error("cannot upcast {event_type}: {reason}")]
    Upcast { event_type: String, reason: String },
    #[error("event enum must serialize as {{\"type\": ..., \"data\": ...}}")]
    NotAdjacentlyTagged,
    /// A type of this context this build does not know (a newer producer
    /// wrote it): a tolerant reader skips it.
    #[error("event type {0} is unknown to this build")]
    UnknownType(String),
    #[error("event {event_type} does not decode: {source}")]
    Json {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The envelope for a typed event, at its current schema version.
pub fn encode<E: DomainEvent>(event: &E) -> Result<NewEvent, CodecError> {
    let json = |source| CodecError::Json {
        event_type: E::CONTEXT.to_owned(),
        source,
    };
    let Value::Object(mut tagged) = serde_json::to_value(event).map_err(json)? else {
        return Err(CodecError::NotAdjacentlyTagged);
    };
    let Some(Value::String(variant)) = tagged.remove("type") else {
        return Err(CodecError::NotAdjacentlyTagged);
    };
    let payload = tagged.remove("data").unwrap_or(Value::Null);
    let event_type = format!("{}.{variant}", E::CONTEXT);
    NewEvent::new(event_type, E::schema_version(&variant), &payload).map_err(json)
}

/// The typed event for an envelope, upcast to the current schema version.
pub fn decode<E: DomainEvent>(recorded: &RecordedEvent) -> Result<E, CodecError> {
    let event_type = recorded.event_type.as_str();
    let variant = event_type
        .strip_prefix(E::CONTEXT)
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or_else(|| CodecError::ForeignType(event_type.to_owned()))?;
    let json = |source| CodecError::Json {
        event_type: event_type.to_owned(),
        source,
    };
    let mut payload: Value = serde_json::from_str(recorded.payload.get()).map_err(json)?;
    let current = E::schema_version(variant);
    let mut version = recorded.schema_version;
    if version > current {
        return Err(CodecError::FromTheFuture {
            event_type: event_type.to_owned(),
            stored: version,
            current,
        });
    }
    while version < current {
        payload = E::upcast(variant, version, payload).map_err(|reason| CodecError::Upcast {
            event_type: event_type.to_owned(),
            reason,
        })?;
        version += 1;
    }
    let mut tagged = serde_json::Map::with_capacity(2);
    tagged.insert("type".to_owned(), Value::String(variant.to_owned()));
    if !payload.is_null() {
        tagged.insert("data".to_owned(), payload);
    }
    serde_json::from_value(Value::Object(tagged)).map_err(|source| {
        // serde names an unknown tag this way (`Error::unknown_variant`).
        if source.to_string().starts_with("unknown variant") {
            CodecError::UnknownType(event_type.to_owned())
        } else {
            json(source)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Position;
    use crate::stream::StreamName;
    use serde::Deserialize;

    /// Version 2 of `TheftReported` split `place` into district and address.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", content = "data")]
    enum BikeEvent {
        TheftReported { district: String, address: String },
        Recovered,
    }

    impl DomainEvent for BikeEvent {
        const CONTEXT: &'static str = "vehicle";

        fn schema_version(variant: &str) -> u16 {
            if variant == "TheftReported" { 2 } else { 1 }
        }

        fn upcast(variant: &str, from: u16, mut payload: Value) -> Result<Value, String> {
            match (variant, from) {
                ("TheftReported", 1) => {
                    let place = payload["place"].as_str().ok_or("place missing")?.to_owned();
                    let (district, address) =
                        place.split_once(", ").ok_or("place has no district")?;
                    payload = serde_json::json!({ "district": district, "address": address });
                    Ok(payload)
                }
                _ => Err(format!("no upcaster for {variant} v{from}")),
            }
        }
    }

    fn recorded(new: NewEvent) -> RecordedEvent {
        RecordedEvent {
            event_id: new.event_id,
            stream: StreamName::parse("vehicle.ebike.b1").expect("valid"),
            version: 1,
            position: Position(1),
            event_type: new.event_type,
            schema_version: new.schema_version,
            occurred_at: new.occurred_at,
            recorded_at: new.occurred_at,
            payload: new.payload,
            metadata: new.metadata,
        }
    }

    #[test]
    fn a_typed_event_round_trips_through_the_envelope() {
        let event = BikeEvent::TheftReported {
            district: "lucheng".into(),
            address: "1 Harbour Rd".into(),
        };
        let new = encode(&event).expect("encodes");
        assert_eq!(new.event_type, "vehicle.TheftReported");
        assert_eq!(new.schema_version, 2);
        assert_eq!(decode::<BikeEvent>(&recorded(new)).expect("decodes"), event);

        let unit = encode(&BikeEvent::Recovered).expect("encodes");
        assert_eq!(unit.payload.get(), "null");
        assert_eq!(
            decode::<BikeEvent>(&recorded(unit)).expect("decodes"),
            BikeEvent::Recovered
        );
    }

    #[test]
    fn a_v1_event_is_read_back_as_v2() {
        let v1 = NewEvent::new(
            "vehicle.TheftReported",
            1,
            &serde_json::json!({ "place": "ouhai, 8 Station Sq" }),
        )
        .expect("serializes");
        assert_eq!(
            decode::<BikeEvent>(&recorded(v1)).expect("upcasts"),
            BikeEvent::TheftReported {
                district: "ouhai".into(),
                address: "8 Station Sq".into()
            }
        );
    }

    #[test]
    fn events_of_another_context_or_a_newer_build_are_refused() {
        let foreign = NewEvent::new("fraud.AlertReported", 1, &()).expect("serializes");
        assert!(matches!(
            decode::<BikeEvent>(&recorded(foreign)),
            Err(CodecError::ForeignType(_))
        ));
        let future = NewEvent::new("vehicle.Recovered", 7, &()).expect("serializes");
        assert!(matches!(
            decode::<BikeEvent>(&recorded(future)),
            Err(CodecError::FromTheFuture { stored: 7, .. })
        ));
    }

    #[test]
    fn a_type_a_newer_producer_added_is_unknown_not_malformed() {
        let added = NewEvent::new(
            "vehicle.RepaintedBlue",
            1,
            &serde_json::json!({ "shade": 3 }),
        )
        .expect("serializes");
        assert!(matches!(
            decode::<BikeEvent>(&recorded(added)),
            Err(CodecError::UnknownType(t)) if t == "vehicle.RepaintedBlue"
        ));
        let malformed = NewEvent::new(
            "vehicle.TheftReported",
            2,
            &serde_json::json!({ "district": 3 }),
        )
        .expect("serializes");
        assert!(matches!(
            decode::<BikeEvent>(&recorded(malformed)),
            Err(CodecError::Json { .. })
        ));
    }
}
