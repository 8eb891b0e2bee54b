//! Exit restrictions: one shape whoever imposes them (the fraud context
//! today, gang cases next), published under the imposing context's name
//! (`fraud.ExitRestrictionImposed`, `fraud.ExitRestrictionLifted`).
//!
//! **Every imposition is its own restriction**, named by the stream that
//! imposed it and the person: `<stream>/<person key>` ([`RestrictionId`]).
//! A lift ends only the restriction its own stream imposed on that person.
//! A person may leave only when every restriction naming them is lifted,
//! whatever their case ids: an alert closed does not free a suspect who is
//! also a listed fugitive on the same case, two listings of one person are
//! two restrictions, and a gang case never lifts a fraud case's
//! restriction however their case ids compare. Events recorded before this
//! rule carry the same payload: the rule reads them as they are.
//! [`Restrictions`] is that rule, for consumers.

use std::collections::{HashMap, HashSet};

use minsheng_values::PersonKey;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ContractError;

/// The type name, under each imposing context, of an imposition.
pub const IMPOSED: &str = "ExitRestrictionImposed";
/// The type name, under each imposing context, of a lift.
pub const LIFTED: &str = "ExitRestrictionLifted";
/// The schema version of both.
pub const VERSION: u16 = 1;

/// Why someone may not leave. Consumers read a reason they do not know
/// (a newer producer's) as `Other`: it restricts all the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RestrictionReason {
    /// A listed fugitive.
    Fugitive,
    /// A suspect named on a fraud alert's case.
    Suspect,
    #[serde(other)]
    Other,
}

/// A person may not leave the country until it is lifted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExitRestrictionImposed {
    pub person: PersonKey,
    pub reason: RestrictionReason,
    pub case_id: String,
}

/// The restriction the same stream imposed on the person is lifted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExitRestrictionLifted {
    pub person: PersonKey,
    pub case_id: String,
}

/// A restriction's identity: the imposing stream and the person.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RestrictionId(String);

impl RestrictionId {
    pub fn new(stream: &str, person: &PersonKey) -> Self {
        RestrictionId(format!("{stream}/{}", person.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who may not leave, by the rule above: fed every event of the contexts
/// that impose restrictions.
#[derive(Clone, Debug, Default)]
pub struct Restrictions {
    in_force: HashMap<PersonKey, HashSet<RestrictionId>>,
}

impl Restrictions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one event (its stream, `event_type`, `schema_version` and
    /// payload, as the envelope has them); other types are ignored. Says
    /// whether it was a restriction's.
    pub fn apply(
        &mut self,
        stream: &str,
        event_type: &str,
        schema_version: u16,
        payload: &str,
    ) -> Result<bool, ContractError> {
        let name = event_type
            .rsplit_once('.')
            .map_or(event_type, |(_, name)| name);
        match name {
            IMPOSED => {
                let imposed: ExitRestrictionImposed = read(event_type, schema_version, payload)?;
                let id = RestrictionId::new(stream, &imposed.person);
                self.in_force.entry(imposed.person).or_default().insert(id);
            }
            LIFTED => {
                let lifted: ExitRestrictionLifted = read(event_type, schema_version, payload)?;
                let id = RestrictionId::new(stream, &lifted.person);
                if let Some(ids) = self.in_force.get_mut(&lifted.person) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        self.in_force.remove(&lifted.person);
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub fn is_restricted(&self, person: &PersonKey) -> bool {
        self.in_force.contains_key(person)
    }

    /// The restrictions in force on `person`.
    pub fn on(&self, person: &PersonKey) -> Vec<&RestrictionId> {
        let mut ids: Vec<&RestrictionId> =
            self.in_force.get(person).into_iter().flatten().collect();
        ids.sort();
        ids
    }
}

fn read<T: serde::de::DeserializeOwned>(
    event_type: &str,
    schema_version: u16,
    payload: &str,
) -> Result<T, ContractError> {
    if schema_version > VERSION {
        return Err(ContractError::NewerVersion {
            event_type: event_type.to_owned(),
            stored: schema_version,
            known: VERSION,
        });
    }
    serde_json::from_str(payload).map_err(|source| ContractError::Decode {
        event_type: event_type.to_owned(),
        source,
    })
}
