//! Everything the fraud context records. Event types are `fraud.<Variant>`.
//! `ExitRestrictionImposed` and `ExitRestrictionLifted` are a contract with
//! other contexts (docs/events.md): their payloads change only by adding
//! fields.

use chrono::{DateTime, NaiveDate, Utc};
use minsheng_eventstore::DomainEvent;
use serde::{Deserialize, Serialize};

use super::values::{Account, Channel, Fen, Institution, Number, PersonKey, Text};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivingAccount {
    pub account: Account,
    pub institution: Institution,
}

/// Why a number is on the blocklist: what a partner may be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockCategory {
    /// Named in a fraud alert.
    FraudAlert,
    /// Added by an analyst.
    Analyst,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnWay {
    Captured,
    PersuadedToReturn,
    Repatriated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestrictionReason {
    Fugitive,
    Suspect,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum FraudEvent {
    // Alerts: stream `fraud.alert.<id>`.
    AlertReported {
        victim: PersonKey,
        amount: Fen,
        channel: Channel,
        transferred_at: DateTime<Utc>,
        /// When the centre received the report: the start of its clock.
        reported_at: DateTime<Utc>,
        accounts: Vec<ReceivingAccount>,
        fraud_numbers: Vec<Number>,
    },
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
    StopPaymentRequested {
        alert_id: String,
        account: ReceivingAccount,
        amount: Fen,
        alert_reported_at: DateTime<Utc>,
        requested_at: DateTime<Utc>,
        deadline: DateTime<Utc>,
    },
    PaymentStopped {
        amount: Fen,
        answered_at: DateTime<Utc>,
    },
    FundsFrozen {
        amount: Fen,
        answered_at: DateTime<Utc>,
    },
    StopPaymentFailed {
        reason: Text,
        answered_at: DateTime<Utc>,
    },
    StopPaymentExpired {
        at: DateTime<Utc>,
    },
    // The blocklist: stream `fraud.number.<keyed hash of the number>`.
    NumberBlocked {
        number: Number,
        category: BlockCategory,
        /// The alert that named it, or the analyst's reason: never shown
        /// to partners.
        alert_id: Option<String>,
        reason: Option<Text>,
        at: DateTime<Utc>,
    },
    NumberUnblocked {
        number: Number,
        reason: Text,
        at: DateTime<Utc>,
    },
    // Interceptions partners report: stream `fraud.interceptions.<institution>`.
    InterceptionReported {
        number: Number,
        institution: Institution,
        at: DateTime<Utc>,
    },
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
    FugitiveReturned {
        way: ReturnWay,
        on: NaiveDate,
    },
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
