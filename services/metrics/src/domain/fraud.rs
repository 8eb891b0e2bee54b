//! The fraud context's figures.

use chrono::{DateTime, Utc};
use minsheng_fraud::domain::events::{FraudEvent, ReturnWay};

use super::book::{Kpi, KpiBook};

/// Counts one fraud event that happened at `at`.
pub fn count(book: &mut KpiBook, event: &FraudEvent, at: DateTime<Utc>) {
    use FraudEvent as E;
    match event {
        E::AlertReported { amount, .. } => {
            book.add(at, Kpi::FraudAlerts, None, 1);
            book.add(at, Kpi::AmountReportedFen, None, amount.get());
        }
        E::StopPaymentRequested {
            alert_reported_at,
            requested_at,
            ..
        } => {
            book.add(at, Kpi::StopPayments, None, 1);
            let wait = (*requested_at - *alert_reported_at)
                .num_seconds()
                .clamp(0, i64::from(u32::MAX));
            book.alert_to_request(at, u32::try_from(wait).unwrap_or(u32::MAX));
        }
        E::PaymentStopped { amount, .. } | E::FundsFrozen { amount, .. } => {
            book.add(at, Kpi::AmountStoppedFen, None, amount.get());
        }
        E::NumberBlocked { .. } => book.add(at, Kpi::NumbersBlocked, None, 1),
        E::InterceptionReported { .. } => book.add(at, Kpi::Interceptions, None, 1),
        E::FugitiveReturned { way, .. } => {
            let kpi = match way {
                ReturnWay::Captured => Kpi::FugitivesCaptured,
                ReturnWay::PersuadedToReturn => Kpi::FugitivesPersuaded,
                ReturnWay::Repatriated => Kpi::FugitivesRepatriated,
            };
            book.add(at, kpi, None, 1);
        }
        _ => {}
    }
}
