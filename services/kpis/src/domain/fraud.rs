//! The fraud context's figures, from its published events.

use chrono::{DateTime, Utc};
use minsheng_contracts::fraud::{
    AlertReported, FugitiveReturned, FundsFrozen, InterceptionReported, NumberBlocked,
    PaymentStopped, ReturnWay, StopPaymentRequested,
};
use minsheng_contracts::{ContractError, Published, decode};

use super::book::{Kpi, KpiBook};

/// Counts one fraud event of `event_type` (stored at `version`) that
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
        AlertReported::EVENT_TYPE => {
            let e: AlertReported = decode(payload, version)?;
            book.add(at, Kpi::FraudAlerts, None, 1);
            book.add(at, Kpi::AmountReportedFen, None, e.amount.get());
        }
        StopPaymentRequested::EVENT_TYPE => {
            let e: StopPaymentRequested = decode(payload, version)?;
            book.add(at, Kpi::StopPayments, None, 1);
            let wait = (e.requested_at - e.alert_reported_at)
                .num_seconds()
                .clamp(0, i64::from(u32::MAX));
            book.alert_to_request(at, u32::try_from(wait).unwrap_or(u32::MAX));
        }
        PaymentStopped::EVENT_TYPE => {
            let e: PaymentStopped = decode(payload, version)?;
            book.add(at, Kpi::AmountStoppedFen, None, e.amount.get());
        }
        FundsFrozen::EVENT_TYPE => {
            let e: FundsFrozen = decode(payload, version)?;
            book.add(at, Kpi::AmountStoppedFen, None, e.amount.get());
        }
        NumberBlocked::EVENT_TYPE => {
            decode::<NumberBlocked>(payload, version)?;
            book.add(at, Kpi::NumbersBlocked, None, 1);
        }
        InterceptionReported::EVENT_TYPE => {
            decode::<InterceptionReported>(payload, version)?;
            book.add(at, Kpi::Interceptions, None, 1);
        }
        FugitiveReturned::EVENT_TYPE => {
            let e: FugitiveReturned = decode(payload, version)?;
            let kpi = match e.way {
                ReturnWay::Captured => Kpi::FugitivesCaptured,
                ReturnWay::PersuadedToReturn => Kpi::FugitivesPersuaded,
                ReturnWay::Repatriated => Kpi::FugitivesRepatriated,
            };
            book.add(at, kpi, None, 1);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
