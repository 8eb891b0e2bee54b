//! Everything the fraud context records. Event types are `fraud.<Variant>`.
//! `ExitRestrictionImposed` and `ExitRestrictionLifted` are a contract with
//! other contexts (docs/events.md): their payloads change only by adding
//! fields.

use chrono::{DateTime, NaiveDate, Utc};
use minsheng_contracts::fraud::{
    AlertReported, FugitiveReturned, FundsFrozen, InterceptionReported, NumberBlocked,
    PaymentStopped, StopPaymentRequested,
};
use minsheng_eventstore::DomainEvent;
use serde::{Deserialize, Serialize};

use super::values::{Number, PersonKey, Text};

pub use minsheng_contracts::fraud::{BlockCategory, ReceivingAccount, ReturnWay};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestrictionReason {
    Fugitive,
    Suspect,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum FraudEvent {
    // Alerts: stream `fraud.alert.<id>`.
    AlertReported(AlertReported),
    AlertTriaged {
        urgent: bool,
    },
    AlertLinkedToCase {
        case_id: String,
    },
    SuspectNamed {
        person: PersonKey,
    },
    AlertClosed {
        reason: Text,
    },
    // Stop-payment requests: stream `fraud.stop.<id>`.
    StopPaymentRequested(StopPaymentRequested),
    PaymentStopped(PaymentStopped),
    FundsFrozen(FundsFrozen),
    StopPaymentFailed {
        reason: Text,
        answered_at: DateTime<Utc>,
    },
    StopPaymentExpired {
        at: DateTime<Utc>,
    },
    // The blocklist: stream `fraud.number.<keyed hash of the number>`.
    NumberBlocked(NumberBlocked),
    NumberUnblocked {
        number: Number,
        reason: Text,
        at: DateTime<Utc>,
    },
    // Interceptions partners report: stream `fraud.interceptions.<institution>`.
    InterceptionReported(InterceptionReported),
    // Fugitives: stream `fraud.fugitive.<id>`.
    FugitiveListed {
        person: PersonKey,
        case_id: String,
        country: Option<String>,
        fled_on: NaiveDate,
    },
    FugitiveLocated {
        country: String,
    },
    FugitiveReturned(FugitiveReturned),
    FugitiveDelisted {
        reason: Text,
    },
    // Published for other contexts (exit-entry refuses restricted persons).
    ExitRestrictionImposed {
        person: PersonKey,
        reason: RestrictionReason,
        case_id: String,
    },
    ExitRestrictionLifted {
        person: PersonKey,
        case_id: String,
    },
}

impl DomainEvent for FraudEvent {
    const CONTEXT: &'static str = "fraud";
}
