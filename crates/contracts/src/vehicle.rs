//! What the vehicle-iot context publishes: bikes registered, stolen,
//! sighted (hits), presented again, recovered and their cases solved;
//! residence cards and rental rooms registered. Streams
//! `vehicle.ebike.<tag>`, `vehicle.card.<id>`, `vehicle.room.<id>`.
//! People are person keys; phones are stored (an owner must be reachable
//! when the bike is found) and shown masked.

use chrono::{DateTime, Utc};
use minsheng_values::{District, Location, PersonKey, Phone, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A bike registered to its owner under its RFID tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EbikeRegistered {
    pub owner: PersonKey,
    pub owner_phone: Phone,
    pub frame_number: String,
    pub motor_number: String,
    pub plate: String,
    pub district: District,
}

/// The owner reported the bike stolen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EbikeReportedStolen {
    pub case_id: String,
    pub stolen_at: DateTime<Utc>,
    pub place: Text,
    /// The bike's numbers, copied from its registration so that the live
    /// view can recognise the bike under another tag without reading every
    /// registration. Empty in events recorded before they were added (read
    /// as empty, never rewritten).
    #[serde(default)]
    pub frame_number: String,
    #[serde(default)]
    pub motor_number: String,
}

/// A registration under another tag carried this stolen bike's frame or
/// motor number: refused, and recorded as a lead for its case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StolenEbikePresented {
    pub presented_by: PersonKey,
    pub on_tag: String,
    pub district: District,
    pub presented_at: DateTime<Utc>,
}

/// A hit: a stolen bike's tag seen by a reader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StolenEbikeSighted {
    pub reader_id: String,
    pub district: District,
    pub location: Location,
    pub seen_at: DateTime<Utc>,
}

/// The police have the bike back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EbikeRecovered {
    pub officer: String,
    pub place: Text,
}

/// The theft case is solved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EbikeCaseSolved {
    pub case_id: String,
    pub suspects: u32,
    pub theft_and_resale_ring: bool,
}

/// A residence card issued to a resident from elsewhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResidentCardIssued {
    pub holder: PersonKey,
    pub phone: Phone,
    pub district: District,
    pub valid_until: DateTime<Utc>,
}

/// A rental room registered by its landlord.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RentalRoomRegistered {
    pub landlord: PersonKey,
    pub address: Text,
    pub district: District,
    pub capacity: u32,
}

crate::published!("vehicle":
    EbikeRegistered = 1,
    EbikeReportedStolen = 1,
    StolenEbikePresented = 1,
    StolenEbikeSighted = 1,
    EbikeRecovered = 1,
    EbikeCaseSolved = 1,
    ResidentCardIssued = 1,
    RentalRoomRegistered = 1,
);
