//! Everything the fraud context records. Event types are `fraud.<Variant>`.
//! What other contexts read is published in `crates/contracts` (the
//! variants that wrap a contract struct); the rest is this context's own.

use chrono::{DateTime, NaiveDate, Utc};
use minsheng_contracts::exit::{ExitRestrictionImposed, ExitRestrictionLifted};
use minsheng_contracts::fraud::{
    AlertClosed, AlertReported, FugitiveReturned, FundsFrozen, InterceptionReported, NumberBlocked,
    PaymentStopped, StopPaymentRequested,
};
use minsheng_eventstore::DomainEvent;
use minsheng_eventstore::codec::Widened;
use serde::{Deserialize, Serialize};

use super::values::{Number, PersonKey, Text};

pub use minsheng_contracts::exit::RestrictionReason;
pub use minsheng_contracts::fraud::{BlockCategory, ReceivingAccount, ReturnWay};

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
    AlertClosed(AlertClosed),
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
    ExitRestrictionImposed(ExitRestrictionImposed),
    ExitRestrictionLifted(ExitRestrictionLifted),
}

/// The types whose receiving accounts version 2 sealed: a version 1 payload held the
/// value in clear, which version 2's field still reads (as
/// `Personal::Clear`), so it reads unchanged.
const SEALED_IN_V2: Widened = Widened(&[("AlertReported", 2), ("StopPaymentRequested", 2)]);

impl DomainEvent for FraudEvent {
    const CONTEXT: &'static str = "fraud";
    const WIDENED: Widened = SEALED_IN_V2;
}
