//! What the mesh holds about each person, folded from the events of the
//! contexts that name people: what holds their data (so that they cannot
//! be forgotten yet) and which streams name them (what an export reads).
//!
//! Holds, from published types only:
//! - an exit restriction in force on them (`exit::Restrictions`);
//! - an alert they reported that is not closed (`fraud.AlertReported`,
//!   `fraud.AlertClosed`);
//! - a theft of their bike whose case is not solved: its hits are under
//!   investigation (`vehicle.EbikeRegistered`, `vehicle.EbikeReportedStolen`,
//!   `vehicle.EbikeCaseSolved`).
//!
//! Which streams name a person is read from any event of a followed
//! context, published or not: a person key (32 hex digits) anywhere in
//! its payload, a sealed value's `person` included.

use std::collections::{BTreeSet, HashMap};

use minsheng_contracts::exit::Restrictions;
use minsheng_contracts::fraud::AlertReported;
use minsheng_contracts::vehicle::EbikeRegistered;
use minsheng_contracts::{ContractError, Published, decode};
use minsheng_values::PersonKey;

#[derive(Debug, Default)]
pub struct PersonFiles {
    restrictions: Restrictions,
    /// Alert stream → its victim, while the alert is open.
    open_alerts: HashMap<String, PersonKey>,
    /// Bike stream → its owner, from the last registration.
    owners: HashMap<String, PersonKey>,
    /// Bike streams whose theft case is open.
    open_thefts: BTreeSet<String>,
    /// Person → the streams that name them.
    streams: HashMap<PersonKey, BTreeSet<String>>,
}

impl PersonFiles {
    /// Folds one event of stream `stream`, as the envelope has it.
    pub fn apply(
        &mut self,
        stream: &str,
        event_type: &str,
        schema_version: u16,
        payload: &str,
    ) -> Result<(), ContractError> {
        self.restrictions
            .apply(stream, event_type, schema_version, payload)?;
        match event_type {
            AlertReported::EVENT_TYPE => {
                let reported: AlertReported = decode(payload, schema_version)?;
                self.open_alerts.insert(stream.to_owned(), reported.victim);
            }
            "fraud.AlertClosed" => {
                self.open_alerts.remove(stream);
            }
            EbikeRegistered::EVENT_TYPE => {
                let registered: EbikeRegistered = decode(payload, schema_version)?;
                self.owners.insert(stream.to_owned(), registered.owner);
            }
            "vehicle.EbikeReportedStolen" => {
                self.open_thefts.insert(stream.to_owned());
            }
            "vehicle.EbikeCaseSolved" => {
                self.open_thefts.remove(stream);
            }
            _ => {}
        }
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(payload) {
            for person in persons_named(&json) {
                self.streams
                    .entry(PersonKey::from_hash(person))
                    .or_default()
                    .insert(stream.to_owned());
            }
        }
        Ok(())
    }

    /// What holds `person`'s data, each as `<kind> <where>`; empty if
    /// nothing does.
    pub fn holds_of(&self, person: &PersonKey) -> Vec<String> {
        let mut holds: Vec<String> = self
            .restrictions
            .on(person)
            .into_iter()
            .map(|id| {
                let imposed_by = id.as_str().rsplit_once('/').map_or(id.as_str(), |(s, _)| s);
                format!("exit-restriction {imposed_by}")
            })
            .collect();
        holds.extend(
            self.open_alerts
                .iter()
                .filter(|(_, victim)| *victim == person)
                .map(|(stream, _)| format!("open-alert {stream}")),
        );
        holds.extend(
            self.open_thefts
                .iter()
                .filter(|stream| self.owners.get(*stream) == Some(person))
                .map(|stream| format!("open-theft-case {stream}")),
        );
        holds.sort();
        holds
    }

    /// The streams that name `person`, in order.
    pub fn streams_of(&self, person: &PersonKey) -> Vec<String> {
        self.streams
            .get(person)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Which events of a stream that names `person` are theirs to see, in
/// order: those that name them, and those that name no one while the last
/// event that named someone named them (a bike's sightings while it was
/// theirs). Events naming only others are not, nor what follows them (the
/// next owner's, a suspect named on their alert).
#[derive(Debug)]
pub struct TheirEvents<'a> {
    person: &'a PersonKey,
    theirs: bool,
}

impl<'a> TheirEvents<'a> {
    pub fn new(person: &'a PersonKey) -> Self {
        TheirEvents {
            person,
            theirs: false,
        }
    }

    /// Whether the next event of the stream, with this payload, is theirs.
    pub fn next_is_theirs(&mut self, payload: &serde_json::Value) -> bool {
        let named = persons_named(payload);
        if !named.is_empty() {
            self.theirs = named.iter().any(|p| p == self.person.as_str());
        }
        self.theirs
    }
}

/// The person keys in a payload, wherever they are.
pub fn persons_named(payload: &serde_json::Value) -> Vec<String> {
    let mut named = Vec::new();
    person_keys_in(payload, &mut named);
    named
}

/// A person key: 32 lowercase hex digits (the HMAC's first 16 bytes).
fn is_person_key(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn person_keys_in(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) if is_person_key(text) => found.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| person_keys_in(v, found)),
        serde_json::Value::Object(fields) => fields.values().for_each(|v| person_keys_in(v, found)),
        _ => {}
    }
}
