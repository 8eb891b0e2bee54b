//! The vehicle-iot context's figures, from its published events.

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::{
    EbikeCaseSolved, EbikeRecovered, EbikeRegistered, EbikeReportedStolen, RentalRoomRegistered,
    ResidentCardIssued, StolenEbikeSighted,
};
use minsheng_contracts::{ContractError, Published, decode};

use super::book::{Kpi, KpiBook};

/// Counts one vehicle event of `event_type` (stored at `version`) that
/// happened at `at`; a type that makes no figure is not even decoded.
/// Says whether the type is one the book reads.
pub fn count(
    book: &mut KpiBook,
    event_type: &str,
    payload: &str,
    version: u16,
    at: DateTime<Utc>,
) -> Result<bool, ContractError> {
    match event_type {
        EbikeRegistered::EVENT_TYPE => {
            let e: EbikeRegistered = decode(payload, version)?;
            book.add(at, Kpi::EbikesRegistered, Some(e.district), 1);
        }
        EbikeReportedStolen::EVENT_TYPE => {
            decode::<EbikeReportedStolen>(payload, version)?;
            book.add(at, Kpi::TheftsReported, None, 1);
        }
        StolenEbikeSighted::EVENT_TYPE => {
            let e: StolenEbikeSighted = decode(payload, version)?;
            book.add(at, Kpi::Hits, Some(e.district), 1);
        }
        EbikeRecovered::EVENT_TYPE => {
            decode::<EbikeRecovered>(payload, version)?;
            book.add(at, Kpi::BikesRecovered, None, 1);
        }
        EbikeCaseSolved::EVENT_TYPE => {
            let e: EbikeCaseSolved = decode(payload, version)?;
            book.add(at, Kpi::CasesSolved, None, 1);
            book.add(at, Kpi::Suspects, None, u64::from(e.suspects));
            if e.theft_and_resale_ring {
                book.add(at, Kpi::TheftAndResaleCases, None, 1);
            }
        }
        ResidentCardIssued::EVENT_TYPE => {
            let e: ResidentCardIssued = decode(payload, version)?;
            book.add(at, Kpi::ResidentCardsIssued, Some(e.district), 1);
        }
        RentalRoomRegistered::EVENT_TYPE => {
            let e: RentalRoomRegistered = decode(payload, version)?;
            book.add(at, Kpi::RentalRoomsRegistered, Some(e.district), 1);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
