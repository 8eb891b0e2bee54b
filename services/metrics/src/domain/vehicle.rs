//! The vehicle-iot context's figures.

use chrono::{DateTime, Utc};
use minsheng_vehicle_iot::domain::events::VehicleEvent;

use super::book::{Kpi, KpiBook};

/// Counts one vehicle event that happened at `at`.
pub fn count(book: &mut KpiBook, event: &VehicleEvent, at: DateTime<Utc>) {
    use VehicleEvent as E;
    match event {
        E::EbikeRegistered { district, .. } => {
            book.add(at, Kpi::EbikesRegistered, Some(*district), 1)
        }
        E::EbikeReportedStolen { .. } => book.add(at, Kpi::TheftsReported, None, 1),
        E::StolenEbikeSighted { district, .. } => book.add(at, Kpi::Hits, Some(*district), 1),
        E::EbikeRecovered { .. } => book.add(at, Kpi::BikesRecovered, None, 1),
        E::EbikeCaseSolved {
            suspects,
            theft_and_resale_ring,
            ..
        } => {
            book.add(at, Kpi::CasesSolved, None, 1);
            book.add(at, Kpi::Suspects, None, u64::from(*suspects));
            if *theft_and_resale_ring {
                book.add(at, Kpi::TheftAndResaleCases, None, 1);
            }
        }
        E::ResidentCardIssued { district, .. } => {
            book.add(at, Kpi::ResidentCardsIssued, Some(*district), 1)
        }
        E::RentalRoomRegistered { district, .. } => {
            book.add(at, Kpi::RentalRoomsRegistered, Some(*district), 1)
        }
        _ => {}
    }
}
