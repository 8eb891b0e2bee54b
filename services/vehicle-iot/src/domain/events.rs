//! Everything the vehicle-iot context records. Event types are
//! `vehicle.<Variant>`; payloads hold person keys, never resident IDs.
//! Phones are stored (the owner must be reachable when the bike is found)
//! and shown masked.

use chrono::{DateTime, Utc};
use minsheng_eventstore::DomainEvent;
use serde::{Deserialize, Serialize};

use super::values::{District, Location, PersonKey, Phone, Text};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum VehicleEvent {
    // E-bikes: stream `vehicle.ebike.<tag>`.
    EbikeRegistered {
        owner: PersonKey,
        owner_phone: Phone,
        frame_number: String,
        motor_number: String,
        plate: String,
        district: District,
    },
    EbikeReportedStolen {
        case_id: String,
        stolen_at: DateTime<Utc>,
        place: Text,
        /// The bike's numbers, copied from its registration so that the
        /// live view can recognise the bike under another tag without
        /// reading every registration. Empty in events recorded before
        /// they were added (read as empty, never rewritten).
        #[serde(default)]
        frame_number: String,
        #[serde(default)]
        motor_number: String,
    },
    /// A registration under another tag carried this stolen bike's frame or
    /// motor number: refused, and recorded here as a lead for its case
    /// (who presented it, where, when).
    StolenEbikePresented {
        presented_by: PersonKey,
        on_tag: String,
        district: District,
        presented_at: DateTime<Utc>,
    },
    /// A hit: a stolen bike's tag seen by a reader.
    StolenEbikeSighted {
        reader_id: String,
        district: District,
        location: Location,
        seen_at: DateTime<Utc>,
    },
    EbikeRecovered {
        officer: String,
        place: Text,
    },
    EbikeReturnedToOwner {},
    EbikeCaseSolved {
        case_id: String,
        suspects: u32,
        theft_and_resale_ring: bool,
    },
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
    ResidentCardIssued {
        holder: PersonKey,
        phone: Phone,
        district: District,
        valid_until: DateTime<Utc>,
    },
    ResidentCardRenewed {
        valid_until: DateTime<Utc>,
    },
    ResidentMovedOut {},
    // Rental rooms: stream `vehicle.room.<room id>`.
    RentalRoomRegistered {
        landlord: PersonKey,
        address: Text,
        district: District,
        capacity: u32,
    },
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
