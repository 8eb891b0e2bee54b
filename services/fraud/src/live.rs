//! The centre's live read models, in memory, rebuilt from the context's
//! events at every start and kept up by subscription:
//!
//! - the blocklist partners screen against;
//! - the running totals;
//! - each alert's stop-payments, for `GetAlert`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use minsheng_contracts::fraud::StopPaymentRequested;
use minsheng_eventstore::{Context, RecordedEvent, codec};
use minsheng_runtime::subscription::{FromTheStart, SubscriberError};

use crate::domain::events::FraudEvent;
use crate::domain::firewall::{Block, Blocklist};
use crate::domain::totals::CentreTotals;
use crate::domain::values::{Account, Fen, Institution, Number, Personal};

/// A stop-payment as its alert's view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct StopSummary {
    pub id: String,
    /// Sealed for the victim: opened (and masked) for an answer only.
    pub account: Personal<Account>,
    pub institution: Institution,
    pub amount: Fen,
    pub outcome: &'static str,
}

#[derive(Debug, Default)]
pub struct FraudLive {
    blocklist: RwLock<Blocklist>,
    totals: Mutex<CentreTotals>,
    stops: Mutex<HashMap<String, Vec<StopSummary>>>,
    alert_of: Mutex<HashMap<String, String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FraudLive {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn screen(&self, number: Number) -> Option<Block> {
        self.blocklist
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .screen(number)
    }

    /// Screens many numbers under one read lock.
    pub fn screen_all<'a>(&self, numbers: impl Iterator<Item = &'a Number>) -> Vec<Option<Block>> {
        let blocklist = self
            .blocklist
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        numbers.map(|n| blocklist.screen(*n)).collect()
    }

    pub fn totals(&self) -> CentreTotals {
        lock(&self.totals).clone()
    }

    pub fn stops_of(&self, alert_id: &str) -> Vec<StopSummary> {
        lock(&self.stops).get(alert_id).cloned().unwrap_or_default()
    }

    fn settle(&self, stop_id: &str, outcome: &'static str) {
        let alert = lock(&self.alert_of).get(stop_id).cloned();
        if let Some(alert) = alert
            && let Some(stop) = lock(&self.stops)
                .get_mut(&alert)
                .and_then(|stops| stops.iter_mut().find(|s| s.id == stop_id))
        {
            stop.outcome = outcome;
        }
    }

    fn apply(&self, recorded: &RecordedEvent) -> Result<(), SubscriberError> {
        let event: FraudEvent = codec::decode(recorded)?;
        let id = recorded.stream.id();
        lock(&self.totals).apply(&event);
        match &event {
            FraudEvent::NumberBlocked(_) | FraudEvent::NumberUnblocked { .. } => {
                self.blocklist
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .apply(&event);
            }
            FraudEvent::StopPaymentRequested(StopPaymentRequested {
                alert_id,
                account,
                amount,
                ..
            }) => {
                lock(&self.alert_of).insert(id.to_owned(), alert_id.clone());
                lock(&self.stops)
                    .entry(alert_id.clone())
                    .or_default()
                    .push(StopSummary {
                        id: id.to_owned(),
                        account: account.account.clone(),
                        institution: account.institution.clone(),
                        amount: *amount,
                        outcome: "pending",
                    });
            }
            FraudEvent::PaymentStopped(_) => self.settle(id, "stopped"),
            FraudEvent::FundsFrozen(_) => self.settle(id, "frozen"),
            FraudEvent::StopPaymentFailed { .. } => self.settle(id, "failed"),
            FraudEvent::StopPaymentExpired { .. } => self.settle(id, "expired"),
            _ => {}
        }
        Ok(())
    }
}

/// Feeds the live view from the start of the context's log at every start.
pub fn subscriber(
    view: Arc<FraudLive>,
    context: Context,
) -> impl minsheng_runtime::subscription::Subscriber {
    FromTheStart::new("fraud-live", context, move |event| view.apply(event))
}
