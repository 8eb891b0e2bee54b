//! What the privacy context publishes: people forgotten, refusals to
//! forget, and subject-access exports, each with the data-protection
//! officer who asked (the envelope's `actor`). Stream
//! `privacy.person.<person key>`. Every process follows
//! [`PersonForgotten`] to drop the person's data key from its cache.

use minsheng_values::PersonKey;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The person's data key is destroyed: every value sealed for them, in
/// every copy of every event, can no longer be opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersonForgotten {
    pub person: PersonKey,
    /// Whether they had a data key (a person never sealed for has none).
    pub had_key: bool,
}

/// A request to forget the person was refused: what holds their data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ForgetRefused {
    pub person: PersonKey,
    /// Each hold, as `<kind> <where>`: `exit-restriction
    /// fraud.alert.<id>`, `open-alert fraud.alert.<id>`, `open-theft-case
    /// vehicle.ebike.<tag>`.
    pub holds: Vec<String>,
}

/// Everything held about the person was exported to the officer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalDataExported {
    pub person: PersonKey,
    /// How many events the export held.
    pub events: u32,
}

crate::published!("privacy":
    PersonForgotten = 1,
    ForgetRefused = 1,
    PersonalDataExported = 1,
);
