//! What the anti-fraud context publishes: alerts reported, stop-payments
//! requested and answered, numbers blocked, interceptions, fugitives
//! returned. Streams `fraud.alert.<id>`, `fraud.stop.<id>`,
//! `fraud.number.<keyed hash>`, `fraud.interceptions.<institution>`,
//! `fraud.fugitive.<id>`. Victims are person keys. The receiving
//! accounts a victim reports are [`Personal`], sealed for the victim since
//! schema 2 (clear in schema 1 events, read as such) and shown masked.
//! Fraud numbers (the lines that called) stay clear: the blocklist acts
//! on them, and their streams are named by a keyed hash.

use chrono::{DateTime, NaiveDate, Utc};
use minsheng_values::{Account, Channel, Fen, Institution, Number, PersonKey, Personal, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An account the victim paid into, at its bank or payment platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReceivingAccount {
    /// Sealed for the victim who reported it.
    pub account: Personal<Account>,
    pub institution: Institution,
}

/// Why a number is on the blocklist: what a partner may be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum BlockCategory {
    /// Named in a fraud alert.
    FraudAlert,
    /// Added by an analyst.
    Analyst,
}

/// How a fugitive came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReturnWay {
    Captured,
    PersuadedToReturn,
    Repatriated,
}

/// A victim's report: the loss, how they were reached, where the money
/// went and the numbers that called them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertReported {
    pub victim: PersonKey,
    pub amount: Fen,
    pub channel: Channel,
    pub transferred_at: DateTime<Utc>,
    /// When the centre received the report: the start of its clock.
    pub reported_at: DateTime<Utc>,
    pub accounts: Vec<ReceivingAccount>,
    pub fraud_numbers: Vec<Number>,
}

/// The alert is closed: its victim's case is no longer open (what the
/// privacy context needs to know before a victim may be forgotten).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertClosed {
    pub reason: Text,
}

/// The centre asked a bank or platform to stop a payment, by a deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StopPaymentRequested {
    pub alert_id: String,
    pub account: ReceivingAccount,
    pub amount: Fen,
    pub alert_reported_at: DateTime<Utc>,
    pub requested_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

/// The partner stopped the payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentStopped {
    pub amount: Fen,
    pub answered_at: DateTime<Utc>,
}

/// The partner froze the funds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FundsFrozen {
    pub amount: Fen,
    pub answered_at: DateTime<Utc>,
}

/// A number put on the firewall's blocklist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NumberBlocked {
    pub number: Number,
    pub category: BlockCategory,
    /// The alert that named it, or the analyst's reason: never shown to
    /// partners.
    pub alert_id: Option<String>,
    pub reason: Option<Text>,
    pub at: DateTime<Utc>,
}

/// A partner intercepted a call or message from a blocked number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InterceptionReported {
    pub number: Number,
    pub institution: Institution,
    pub at: DateTime<Utc>,
}

/// A fugitive is back, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FugitiveReturned {
    pub way: ReturnWay,
    pub on: NaiveDate,
}

crate::published!("fraud":
    AlertReported = 2 reads 1,
    AlertClosed = 1,
    StopPaymentRequested = 2 reads 1,
    PaymentStopped = 1,
    FundsFrozen = 1,
    NumberBlocked = 1,
    InterceptionReported = 1,
    FugitiveReturned = 1,
);
