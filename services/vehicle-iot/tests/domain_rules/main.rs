//! The vehicle-iot rules, as the bureau would state them: a module per
//! part (e-bikes; readers, cards and rooms; the sighting desk; properties
//! over random histories), on the givens below.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use minsheng_contracts::fixtures;
use minsheng_contracts::vehicle::EbikeReportedStolen;
use minsheng_eventstore::Aggregate;
use minsheng_vehicle_iot::domain::card::{CardCommand, CardRule, ResidentCard};
use minsheng_vehicle_iot::domain::ebike::{
    Ebike, EbikeCommand, EbikeRule, EbikeStatus, Registration,
};
use minsheng_vehicle_iot::domain::events::VehicleEvent;
use minsheng_vehicle_iot::domain::reader::{Reader, ReaderCommand, ReaderRule};
use minsheng_vehicle_iot::domain::room::{RentalRoom, RoomCommand, RoomRule};
use minsheng_vehicle_iot::domain::sighting::{SightingDesk, SightingRefusal, Verdict};
use minsheng_vehicle_iot::domain::theft_report::{Confirmation, Reporter, ReviewReason};
use minsheng_vehicle_iot::domain::values::{District, Location, PersonKey, TagId, Text};
use proptest::prelude::*;

const TAG: &str = "E20000172211010218905BD1";
const OTHER_TAG: &str = "E20000172211010218905BD2";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 6, 1, 9, 0, 0).unwrap()
}

fn registration() -> Registration {
    Registration {
        owner: PersonKey::from_hash("0f".repeat(16)),
        owner_phone: fixtures::sealed(&PersonKey::from_hash("0f".repeat(16))),
        frame_number: "FRAME123456".into(),
        motor_number: "MOTOR654321".into(),
        plate: "浙C12345".into(),
        district: District::parse("district", "lucheng").unwrap(),
    }
}

fn text(s: &str) -> Text {
    Text::parse("place", s).unwrap()
}

/// Runs commands against a bike, applying what each decides; returns the
/// bike and the outcome of the last command.
fn bike_after(commands: &[EbikeCommand]) -> (Ebike, Result<Vec<VehicleEvent>, EbikeRule>) {
    let mut bike = Ebike::default();
    let mut last = Ok(Vec::new());
    for command in commands {
        last = bike.decide(command);
        if let Ok(events) = &last {
            events.iter().for_each(|e| bike.apply(e));
        }
    }
    (bike, last)
}

/// An officer's report, for case WZ-2015-0001: the owner has two days to
/// answer.
fn stolen() -> EbikeCommand {
    EbikeCommand::ReportStolen {
        case_id: "WZ-2015-0001".into(),
        stolen_at: now(),
        place: text("outside the Lucheng night market"),
        by: Reporter::Officer {
            officer: "officer-7".into(),
            confirm_by: now() + Duration::hours(48),
        },
    }
}

fn owner() -> PersonKey {
    registration().owner
}

fn sighting() -> EbikeCommand {
    EbikeCommand::RecordSighting {
        reader_id: "RD-LC-0001".into(),
        district: District::parse("district", "lucheng").unwrap(),
        location: Location::parse(28.0, 120.65).unwrap(),
        seen_at: now(),
    }
}

fn recovered() -> EbikeCommand {
    EbikeCommand::RecordRecovery {
        officer: "officer-7".into(),
        place: text("a repair shop in Ouhai"),
    }
}

fn desk() -> SightingDesk {
    let mut desk = SightingDesk::new(Duration::minutes(5));
    desk.apply(
        "RD-LC-0001",
        &VehicleEvent::ReaderInstalled {
            location: Location::parse(28.0, 120.65).unwrap(),
            district: District::parse("district", "lucheng").unwrap(),
        },
    );
    desk.apply(
        "RD-LC-0002",
        &VehicleEvent::ReaderInstalled {
            location: Location::parse(28.01, 120.66).unwrap(),
            district: District::parse("district", "lucheng").unwrap(),
        },
    );
    desk.apply(
        TAG,
        &VehicleEvent::EbikeReportedStolen(EbikeReportedStolen {
            case_id: "WZ-2015-0001".into(),
            stolen_at: now(),
            place: text("a car park"),
            frame_number: registration().frame_number,
            motor_number: registration().motor_number,
            reported_by: minsheng_contracts::vehicle::TheftReporter::Owner,
            owner: Some(owner()),
        }),
    );
    desk
}

mod desk;
mod ebikes;
mod properties;
mod published;
mod readers_cards_rooms;
mod refusals;
mod theft_reports;
