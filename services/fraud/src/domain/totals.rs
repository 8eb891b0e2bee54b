//! The centre's running totals, folded from its events: what the bureau
//! reports ("461 alerts, 7.36 M yuan reported; 286 stop-payments, 4.07 M
//! yuan stopped").

use super::events::FraudEvent;
use minsheng_contracts::fraud::{AlertReported, FundsFrozen, PaymentStopped};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CentreTotals {
    pub alerts: u64,
    pub reported_fen: u64,
    pub stop_payments: u64,
    /// Stopped and frozen together: money kept from the fraudsters.
    pub stopped_fen: u64,
    pub stopped: u64,
    pub frozen: u64,
    pub failed: u64,
    pub expired: u64,
    pub numbers_blocked: u64,
    pub interceptions: u64,
    pub fugitives_returned: u64,
}

impl CentreTotals {
    pub fn apply(&mut self, event: &FraudEvent) {
        match event {
            FraudEvent::AlertReported(AlertReported { amount, .. }) => {
                self.alerts += 1;
                self.reported_fen += amount.get();
            }
            FraudEvent::StopPaymentRequested(_) => self.stop_payments += 1,
            FraudEvent::PaymentStopped(PaymentStopped { amount, .. }) => {
                self.stopped += 1;
                self.stopped_fen += amount.get();
            }
            FraudEvent::FundsFrozen(FundsFrozen { amount, .. }) => {
                self.frozen += 1;
                self.stopped_fen += amount.get();
            }
            FraudEvent::StopPaymentFailed { .. } => self.failed += 1,
            FraudEvent::StopPaymentExpired { .. } => self.expired += 1,
            FraudEvent::NumberBlocked(_) => self.numbers_blocked += 1,
            FraudEvent::InterceptionReported(_) => self.interceptions += 1,
            FraudEvent::FugitiveReturned(_) => self.fugitives_returned += 1,
            _ => {}
        }
    }
}
