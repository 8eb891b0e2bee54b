//! What the vehicle-iot context publishes: bikes registered, stolen,
//! sighted (hits), presented again, recovered and their cases solved;
//! residence cards and rental rooms registered. Streams
//! `vehicle.ebike.<tag>`, `vehicle.card.<id>`, `vehicle.room.<id>`.
//! People are person keys. Personal values (an owner's or holder's phone,
//! a room's address) are [`Personal`]: sealed with the person's data key
//! since schema version 2, in clear in version 1 events (read as such).
//! Plates, frame and motor numbers stay clear: they identify a vehicle,
//! not a person, and a stolen bike must be recognised by them.

use chrono::{DateTime, Utc};
use minsheng_values::{District, Location, PersonKey, Personal, Phone, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A bike registered to its owner under its RFID tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EbikeRegistered {
    pub owner: PersonKey,
    /// Sealed for `owner`.
    pub owner_phone: Personal<Phone>,
    pub frame_number: String,
    pub motor_number: String,
    pub plate: String,
    pub district: District,
}

/// The bike was reported stolen: by its owner, or by an officer for a case
/// (then the owner is asked to confirm).
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
    /// Who reported it (since schema 2; a schema 1 report reads as
    /// `unrecorded`: it was made before owners confirmed reports).
    #[serde(default)]
    pub reported_by: TheftReporter,
    /// The bike's owner (since schema 2): whose bike a hit locates, so that
    /// a read of the hit is recorded against them.
    #[serde(default)]
    pub owner: Option<PersonKey>,
}

/// Who reported a theft. An officer's report flags the bike without its
/// owner knowing, so the owner is notified and asked to confirm by
/// `confirm_by`; unconfirmed by then, the report goes to review.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum TheftReporter {
    /// A schema 1 report.
    #[default]
    Unrecorded,
    /// The owner, through a gateway acting for them.
    Owner,
    /// An officer, for the report's case.
    Officer {
        officer: String,
        confirm_by: DateTime<Utc>,
    },
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
    /// Sealed for `holder`.
    pub phone: Personal<Phone>,
    pub district: District,
    pub valid_until: DateTime<Utc>,
}

/// A rental room registered by its landlord.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RentalRoomRegistered {
    pub landlord: PersonKey,
    /// Sealed for `landlord`: the room's address, where they can be found.
    pub address: Personal<Text>,
    pub district: District,
    pub capacity: u32,
}

crate::published!("vehicle":
    EbikeRegistered = 2 reads 1,
    EbikeReportedStolen = 2 reads 1,
    StolenEbikePresented = 1,
    StolenEbikeSighted = 1,
    EbikeRecovered = 1,
    EbikeCaseSolved = 1,
    ResidentCardIssued = 2 reads 1,
    RentalRoomRegistered = 2 reads 1,
);
