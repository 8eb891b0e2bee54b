//! Everything the vehicle-iot context records. Event types are
//! `vehicle.<Variant>`; payloads hold person keys, never resident IDs.
//! Phones are stored (the owner must be reachable when the bike is found)
//! and shown masked.

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::{
    EbikeCaseSolved, EbikeRecovered, EbikeRegistered, EbikeReportedStolen, RentalRoomRegistered,
    ResidentCardIssued, StolenEbikePresented, StolenEbikeSighted,
};
use minsheng_eventstore::DomainEvent;
use serde::{Deserialize, Serialize};

use super::values::{District, Location, PersonKey, Text};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum VehicleEvent {
    // E-bikes: stream `vehicle.ebike.<tag>`.
    EbikeRegistered(EbikeRegistered),
    EbikeReportedStolen(EbikeReportedStolen),
    StolenEbikePresented(StolenEbikePresented),
    StolenEbikeSighted(StolenEbikeSighted),
    EbikeRecovered(EbikeRecovered),
    EbikeReturnedToOwner {},
    EbikeCaseSolved(EbikeCaseSolved),
    EbikeDeregistered {
        reason: Text,
    },
    // Readers: stream `vehicle.reader.<reader id>`.
    ReaderInstalled {
        location: Location,
        district: District,
    },
    ReaderRetired {},
    // Resident cards: stream `vehicle.card.<card id>`.
    ResidentCardIssued(ResidentCardIssued),
    ResidentCardRenewed {
        valid_until: DateTime<Utc>,
    },
    ResidentMovedOut {},
    // Rental rooms: stream `vehicle.room.<room id>`.
    RentalRoomRegistered(RentalRoomRegistered),
    TenantCheckedIn {
        tenant: PersonKey,
    },
    TenantCheckedOut {
        tenant: PersonKey,
    },
}

impl DomainEvent for VehicleEvent {
    const CONTEXT: &'static str = "vehicle";
}

/// The event types the live read models care about (the others need not
/// even be decoded when the read models are rebuilt).
pub const LIVE_TYPES: [&str; 7] = [
    "vehicle.EbikeReportedStolen",
    "vehicle.StolenEbikeSighted",
    "vehicle.EbikeRecovered",
    "vehicle.EbikeReturnedToOwner",
    "vehicle.EbikeDeregistered",
    "vehicle.ReaderInstalled",
    "vehicle.ReaderRetired",
];
