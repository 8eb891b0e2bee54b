//! A traffic violation, one stream per violation: recorded by a camera or
//! an officer against a plate, handled (online or at a counter) by the
//! driver responsible, who is then fined and given its points; the fine
//! is due 15 days after the decision, and each day late adds 3 % of it,
//! never more than the fine itself.

use chrono::{Duration, NaiveDate};
use minsheng_eventstore::Aggregate;
use serde::{Deserialize, Serialize};

use super::events::LicensingEvent;
use super::values::{PersonKey, Text};

/// An offence from the catalogue: its code, its points (12, 9, 6, 3, 2, 1
/// or 0) and its fine in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offence {
    pub code: String,
    pub points: u8,
    pub fine_fen: u64,
}

/// Who saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Witness {
    Camera,
    Officer,
}

/// Where a violation or a service was handled: the online share is a KPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceChannel {
    Online,
    Counter,
}

/// The numbers of fines, as settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinePolicy {
    /// Days from the decision to the fine's due date.
    pub due_after_days: i64,
    /// The late fee per day, in hundredths of the fine.
    pub late_fee_percent_a_day: u64,
}

impl Default for FinePolicy {
    fn default() -> Self {
        FinePolicy {
            due_after_days: 15,
            late_fee_percent_a_day: 3,
        }
    }
}

/// The late fee on `fine_fen` due on `due`, paid on `on`: 3 % a day late
/// (rounded down to the fen), never more than the fine.
pub fn late_fee(fine_fen: u64, due: NaiveDate, on: NaiveDate, policy: FinePolicy) -> u64 {
    let days_late = u64::try_from((on - due).num_days()).unwrap_or(0);
    let fee =
        u128::from(fine_fen) * u128::from(policy.late_fee_percent_a_day) * u128::from(days_late)
            / 100;
    u64::try_from(fee).unwrap_or(u64::MAX).min(fine_fen)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub driver: PersonKey,
    pub due: NaiveDate,
}

#[derive(Clone, Debug, Default)]
pub struct Violation {
    pub offence: Option<Offence>,
    pub decision: Option<Decision>,
    pub paid: bool,
    pub overdue: bool,
}

#[derive(Clone, Debug)]
pub enum ViolationCommand {
    Record {
        plate: String,
        place: Text,
        on: NaiveDate,
        offence: Offence,
        witness: Witness,
    },
    /// The driver accepts it: the decision, and the fine's due date.
    Handle {
        driver: PersonKey,
        channel: ServiceChannel,
        on: NaiveDate,
        policy: FinePolicy,
    },
    /// The deadline: the fine fell due unpaid.
    MarkOverdue { today: NaiveDate },
    /// The driver pays `fen`, which must be the fine and its late fee.
    Pay {
        fen: u64,
        on: NaiveDate,
        policy: FinePolicy,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ViolationRule {
    #[error("this violation is already recorded")]
    AlreadyRecorded,
    #[error("no violation is recorded under this id")]
    NotRecorded,
    #[error("this violation is already handled")]
    AlreadyHandled,
    #[error("the violation is not handled yet: there is no fine to pay")]
    NotHandled,
    #[error("the fine is already paid")]
    AlreadyPaid,
    #[error("the amount due is {due} fen (the fine and {late_fee} fen late fee)")]
    WrongAmount { due: u64, late_fee: u64 },
}

impl Violation {
    /// What paying on `on` costs: (fine, late fee).
    pub fn owed(&self, on: NaiveDate, policy: FinePolicy) -> Option<(u64, u64)> {
        let fine = self.offence.as_ref()?.fine_fen;
        let due = self.decision.as_ref()?.due;
        Some((fine, late_fee(fine, due, on, policy)))
    }
}

impl Aggregate for Violation {
    type Event = LicensingEvent;
    type Command = ViolationCommand;
    type Error = ViolationRule;

    fn apply(&mut self, event: &LicensingEvent) {
        match event {
            LicensingEvent::ViolationRecorded { offence, .. } => {
                self.offence = Some(offence.clone());
            }
            LicensingEvent::ViolationHandled { driver, due, .. } => {
                self.decision = Some(Decision {
                    driver: driver.clone(),
                    due: *due,
                });
            }
            LicensingEvent::FineOverdue { .. } => self.overdue = true,
            LicensingEvent::FinePaid { .. } => self.paid = true,
            _ => {}
        }
    }

    fn decide(&self, command: &ViolationCommand) -> Result<Vec<LicensingEvent>, ViolationRule> {
        use ViolationCommand as C;
        let event = match command {
            C::Record {
                plate,
                place,
                on,
                offence,
                witness,
            } => {
                if self.offence.is_some() {
                    return Err(ViolationRule::AlreadyRecorded);
                }
                LicensingEvent::ViolationRecorded {
                    plate: plate.clone(),
                    place: place.clone(),
                    on: *on,
                    offence: offence.clone(),
                    witness: *witness,
                }
            }
            C::Handle {
                driver,
                channel,
                on,
                policy,
            } => {
                let offence = self.offence.as_ref().ok_or(ViolationRule::NotRecorded)?;
                if self.decision.is_some() {
                    return Err(ViolationRule::AlreadyHandled);
                }
                LicensingEvent::ViolationHandled {
                    driver: driver.clone(),
                    channel: *channel,
                    decided_on: *on,
                    due: *on + Duration::days(policy.due_after_days),
                    points: offence.points,
                }
            }
            C::MarkOverdue { today } => match &self.decision {
                Some(decision) if !self.paid && !self.overdue && *today > decision.due => {
                    LicensingEvent::FineOverdue {
                        since: decision.due,
                    }
                }
                // Paid, marked already, or not due yet: nothing to do.
                _ => return Ok(Vec::new()),
            },
            C::Pay { fen, on, policy } => {
                self.offence.as_ref().ok_or(ViolationRule::NotRecorded)?;
                if self.paid {
                    return Err(ViolationRule::AlreadyPaid);
                }
                let (fine, late) = self.owed(*on, *policy).ok_or(ViolationRule::NotHandled)?;
                if *fen != fine + late {
                    return Err(ViolationRule::WrongAmount {
                        due: fine + late,
                        late_fee: late,
                    });
                }
                LicensingEvent::FinePaid {
                    fine_fen: fine,
                    late_fee_fen: late,
                    on: *on,
                }
            }
        };
        Ok(vec![event])
    }
}
