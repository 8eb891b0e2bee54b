//! 114 move-car: a driver blocked in calls 114 with the blocking car's
//! plate and the place; the car's owner is reached through a relay (neither
//! sees the other's number: the events hold person keys, the call centre's
//! relay holds the numbers); the owner moves the car, or does not answer in
//! 10 minutes and the request goes to the traffic police (122); the caller
//! rates it. A caller whose requests are marked malicious too often is
//! barred for a while (their own stream, [`Caller`]).

use chrono::{DateTime, Duration, Utc};
use minsheng_eventstore::Aggregate;

use super::events::LicensingEvent;
use super::values::{CarPlate, PersonKey, Stars, Text};

/// The numbers of the service, as settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveCarPolicy {
    /// Without the owner's answer by then, the request is escalated.
    pub answer_within: Duration,
    /// Malicious requests within `window` that bar a caller...
    pub malicious_to_bar: u32,
    pub window: Duration,
    /// ...for this long.
    pub bar_for: Duration,
}

impl Default for MoveCarPolicy {
    fn default() -> Self {
        MoveCarPolicy {
            answer_within: Duration::minutes(10),
            malicious_to_bar: 3,
            window: Duration::days(30),
            bar_for: Duration::days(30),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestStatus {
    #[default]
    None,
    /// The owner is being reached.
    Open,
    Moved,
    /// No answer in time: passed to 122.
    Escalated,
}

#[derive(Clone, Debug, Default)]
pub struct MoveCarRequest {
    pub status: RequestStatus,
    pub caller: Option<PersonKey>,
    pub answer_by: Option<DateTime<Utc>>,
    pub rated: bool,
    pub malicious: bool,
}

#[derive(Clone, Debug)]
pub enum MoveCarCommand {
    Request {
        caller: PersonKey,
        /// The owner of the plate, as the vehicle register says.
        owner: PersonKey,
        plate: CarPlate,
        place: Text,
        now: DateTime<Utc>,
        /// Until when the caller is barred, if they are (their stream's).
        barred_until: Option<DateTime<Utc>>,
        policy: MoveCarPolicy,
    },
    /// The owner says the car is moved.
    Moved {
        now: DateTime<Utc>,
    },
    /// The deadline: no answer by `answer_by`.
    EscalateIfUnanswered {
        now: DateTime<Utc>,
    },
    Rate {
        stars: Stars,
    },
    /// The call centre found the request made up.
    MarkMalicious,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoveCarRule {
    #[error("this request is already made")]
    AlreadyRequested,
    #[error("the caller is barred from move-car requests until {until}")]
    CallerBarred { until: DateTime<Utc> },
    #[error("no move-car request under this id")]
    NoRequest,
    #[error("the request is already closed")]
    AlreadyClosed,
    #[error("the request is rated once it is closed")]
    NotClosed,
    #[error("the request is already rated")]
    AlreadyRated,
}

impl Aggregate for MoveCarRequest {
    type Event = LicensingEvent;
    type Command = MoveCarCommand;
    type Error = MoveCarRule;

    fn apply(&mut self, event: &LicensingEvent) {
        use LicensingEvent as E;
        match event {
            E::MoveCarRequested {
                caller, answer_by, ..
            } => {
                self.status = RequestStatus::Open;
                self.caller = Some(caller.clone());
                self.answer_by = Some(*answer_by);
            }
            E::CarMoved { .. } => self.status = RequestStatus::Moved,
            E::MoveCarEscalated { .. } => self.status = RequestStatus::Escalated,
            E::MoveCarRated { .. } => self.rated = true,
            E::MoveCarMarkedMalicious { .. } => self.malicious = true,
            _ => {}
        }
    }

    fn decide(&self, command: &MoveCarCommand) -> Result<Vec<LicensingEvent>, MoveCarRule> {
        use MoveCarCommand as C;
        if !matches!(command, C::Request { .. }) && self.status == RequestStatus::None {
            return Err(MoveCarRule::NoRequest);
        }
        let event = match command {
            C::Request {
                caller,
                owner,
                plate,
                place,
                now,
                barred_until,
                policy,
            } => {
                if self.status != RequestStatus::None {
                    return Err(MoveCarRule::AlreadyRequested);
                }
                if let Some(until) = barred_until.filter(|until| until > now) {
                    return Err(MoveCarRule::CallerBarred { until });
                }
                LicensingEvent::MoveCarRequested {
                    caller: caller.clone(),
                    owner: owner.clone(),
                    plate: plate.as_str().to_owned(),
                    place: place.clone(),
                    at: *now,
                    answer_by: *now + policy.answer_within,
                }
            }
            C::Moved { now } => {
                if self.status != RequestStatus::Open {
                    return Err(MoveCarRule::AlreadyClosed);
                }
                LicensingEvent::CarMoved { at: *now }
            }
            C::EscalateIfUnanswered { now } => match self.answer_by {
                Some(by) if self.status == RequestStatus::Open && *now >= by => {
                    LicensingEvent::MoveCarEscalated { at: *now }
                }
                // Answered, escalated already, or not due: nothing to do.
                _ => return Ok(Vec::new()),
            },
            C::Rate { stars } => {
                if self.status == RequestStatus::Open {
                    return Err(MoveCarRule::NotClosed);
                }
                if self.rated {
                    return Err(MoveCarRule::AlreadyRated);
                }
                LicensingEvent::MoveCarRated { stars: *stars }
            }
            C::MarkMalicious => {
                if self.malicious {
                    return Ok(Vec::new());
                }
                LicensingEvent::MoveCarMarkedMalicious {
                    caller: self.caller.clone().ok_or(MoveCarRule::NoRequest)?,
                }
            }
        };
        Ok(vec![event])
    }
}

/// A caller of 114, by the keyed hash of their number: their malicious
/// requests, and whether they are barred.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub malicious_at: Vec<DateTime<Utc>>,
    pub barred_until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub enum CallerCommand {
    /// One of their requests was marked malicious at `now`.
    RecordMalicious {
        now: DateTime<Utc>,
        policy: MoveCarPolicy,
    },
}

impl Aggregate for Caller {
    type Event = LicensingEvent;
    type Command = CallerCommand;
    /// Nothing is refused: a malicious request is always recorded.
    type Error = std::convert::Infallible;

    fn apply(&mut self, event: &LicensingEvent) {
        match event {
            LicensingEvent::MaliciousRequestRecorded { at } => self.malicious_at.push(*at),
            LicensingEvent::CallerBarred { until } => self.barred_until = Some(*until),
            _ => {}
        }
    }

    fn decide(&self, command: &CallerCommand) -> Result<Vec<LicensingEvent>, Self::Error> {
        let CallerCommand::RecordMalicious { now, policy } = command;
        let mut events = vec![LicensingEvent::MaliciousRequestRecorded { at: *now }];
        let within = self
            .malicious_at
            .iter()
            .filter(|at| **at > *now - policy.window)
            .count() as u32
            + 1;
        let barred = self.barred_until.is_some_and(|until| until > *now);
        if within >= policy.malicious_to_bar && !barred {
            events.push(LicensingEvent::CallerBarred {
                until: *now + policy.bar_for,
            });
        }
        Ok(events)
    }
}
