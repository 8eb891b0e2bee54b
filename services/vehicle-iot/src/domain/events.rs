//! Everything the vehicle-iot context records. Event types are
//! `vehicle.<Variant>`; payloads hold person keys, never resident IDs.
//! Phones and room addresses are [`Personal`](minsheng_values::Personal):
//! sealed for their person since schema version 2 (an owner must be
//! reachable when the bike is found, until they are forgotten), in clear
//! in version 1 events, which read unchanged.

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::{
    EbikeCaseSolved, EbikeRecovered, EbikeRegistered, EbikeReportedStolen, RentalRoomRegistered,
    ResidentCardIssued, StolenEbikePresented, StolenEbikeSighted,
};
use minsheng_eventstore::DomainEvent;
use minsheng_eventstore::codec::Widened;
use serde::{Deserialize, Serialize};

use super::theft_report::ReviewReason;
use super::values::{District, Location, PersonKey, Text};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum VehicleEvent {
    // E-bikes: stream `vehicle.ebike.<tag>`.
    EbikeRegistered(EbikeRegistered),
    EbikeReportedStolen(EbikeReportedStolen),
    /// The owner confirmed an officer's theft report.
    TheftReportConfirmedByOwner {},
    /// Disputed by the owner, or not confirmed in time.
    TheftReportUnderReview {
        case_id: String,
        reason: ReviewReason,
    },
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

/// The types version 2 widened, so that version 1 payloads read unchanged:
/// a personal field sealed (a version 1 payload held the value in clear,
/// which the field still reads, as `Personal::Clear`), or, for a theft
/// report, who made it (read as `unrecorded`).
const WIDENED_IN_V2: Widened = Widened(&[
    ("EbikeRegistered", 2),
    ("EbikeReportedStolen", 2),
    ("ResidentCardIssued", 2),
    ("RentalRoomRegistered", 2),
]);

impl DomainEvent for VehicleEvent {
    const CONTEXT: &'static str = "vehicle";
    const WIDENED: Widened = WIDENED_IN_V2;
}

/// The event types the live read models care about (the others need not
/// even be decoded when the read models are rebuilt).
pub const LIVE_TYPES: [&str; 9] = [
    "vehicle.EbikeReportedStolen",
    "vehicle.TheftReportConfirmedByOwner",
    "vehicle.TheftReportUnderReview",
    "vehicle.StolenEbikeSighted",
    "vehicle.EbikeRecovered",
    "vehicle.EbikeReturnedToOwner",
    "vehicle.EbikeDeregistered",
    "vehicle.ReaderInstalled",
    "vehicle.ReaderRetired",
];
