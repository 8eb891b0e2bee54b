//! An e-bike's anti-theft registration, one stream per RFID tag: the tag is
//! the bike's card, so one tag belongs to at most one live bike by
//! construction. Its life: registered, then any number of times reported
//! stolen, sighted (hits), recovered, returned to its owner; a case solved;
//! deregistered (after which the tag may be registered again). Who may
//! report a theft, and the owner's answer to an officer's report, are in
//! [`super::theft_report`].

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::{
    EbikeCaseSolved, EbikeRecovered, EbikeRegistered, EbikeReportedStolen, StolenEbikePresented,
    StolenEbikeSighted,
};
use minsheng_eventstore::Aggregate;

use super::events::VehicleEvent;
use super::theft_report::{self, Confirmation, Reporter, ReviewReason};
use super::values::{District, Location, PersonKey, Personal, Phone, Text};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EbikeStatus {
    #[default]
    Unregistered,
    Registered,
    Stolen,
    Recovered,
    Deregistered,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Registration {
    pub owner: PersonKey,
    /// Sealed for the owner: the domain never reads it.
    pub owner_phone: Personal<Phone>,
    pub frame_number: String,
    pub motor_number: String,
    pub plate: String,
    pub district: District,
}

#[derive(Clone, Debug, Default)]
pub struct Ebike {
    pub status: EbikeStatus,
    pub registration: Option<Registration>,
    /// The theft case of the last report, and whether it is solved.
    pub case_id: Option<String>,
    pub case_solved: bool,
    /// Where the current theft report stands with the owner (none when
    /// the bike is not stolen).
    pub confirmation: Option<Confirmation>,
    pub hits: u64,
}

#[derive(Clone, Debug)]
pub enum EbikeCommand {
    Register(Registration),
    ReportStolen {
        case_id: String,
        stolen_at: DateTime<Utc>,
        place: Text,
        by: Reporter,
    },
    /// The owner says an officer's report is right.
    ConfirmTheft {
        owner: PersonKey,
    },
    /// The owner says the bike is not stolen: the report goes to review.
    DisputeTheft {
        owner: PersonKey,
    },
    /// The owner's time to confirm may be over (the deadline firing).
    ReviewIfUnconfirmed {
        now: DateTime<Utc>,
    },
    /// Someone presented this bike's numbers for registration under
    /// another tag (`on_tag`) while it is stolen: a lead for the case.
    RecordPresentation {
        presented_by: PersonKey,
        on_tag: String,
        district: District,
        presented_at: DateTime<Utc>,
    },
    /// A reader saw the tag: a hit if the bike is stolen, nothing otherwise.
    RecordSighting {
        reader_id: String,
        district: District,
        location: Location,
        seen_at: DateTime<Utc>,
    },
    RecordRecovery {
        officer: String,
        place: Text,
    },
    ReturnToOwner,
    RecordCaseSolved {
        suspects: u32,
        theft_and_resale_ring: bool,
    },
    Deregister {
        reason: Text,
    },
}

/// The rules of a bike's life.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EbikeRule {
    #[error("this tag already belongs to a live bike")]
    TagInUse,
    #[error("the bike on this tag is reported stolen: it cannot be registered again")]
    StolenCannotBeReRegistered,
    #[error(
        "the frame or motor number belongs to a bike reported stolen: hold the bike and call the police"
    )]
    NumbersOfAStolenBike,
    #[error("no bike is registered on this tag")]
    NotRegistered,
    #[error("the bike is already reported stolen")]
    AlreadyStolen,
    #[error("the bike is not reported stolen")]
    NotStolen,
    #[error("the bike is in police hands: return it to its owner first")]
    NotReturned,
    #[error("the bike has not been recovered")]
    NotRecovered,
    #[error("no theft case to solve on this bike")]
    NoCase,
    #[error("the case is already solved")]
    CaseAlreadySolved,
    #[error("at most 1000 suspects in one case")]
    TooManySuspects,
    #[error("the resident named is not this bike's owner")]
    NotTheOwner,
    #[error("the bike's theft report is not waiting for its owner's answer")]
    NothingForTheOwnerToAnswer,
}

impl Ebike {
    fn is_owner(&self, person: &PersonKey) -> Result<(), EbikeRule> {
        match &self.registration {
            Some(r) if &r.owner == person => Ok(()),
            _ => Err(EbikeRule::NotTheOwner),
        }
    }

    fn to_review(&self, reason: ReviewReason) -> VehicleEvent {
        VehicleEvent::TheftReportUnderReview {
            case_id: self.case_id.clone().unwrap_or_default(),
            reason,
        }
    }
}

impl Aggregate for Ebike {
    type Event = VehicleEvent;
    type Command = EbikeCommand;
    type Error = EbikeRule;

    fn apply(&mut self, event: &VehicleEvent) {
        use VehicleEvent as E;
        match event {
            E::EbikeRegistered(EbikeRegistered {
                owner,
                owner_phone,
                frame_number,
                motor_number,
                plate,
                district,
            }) => {
                *self = Ebike {
                    status: EbikeStatus::Registered,
                    registration: Some(Registration {
                        owner: owner.clone(),
                        owner_phone: owner_phone.clone(),
                        frame_number: frame_number.clone(),
                        motor_number: motor_number.clone(),
                        plate: plate.clone(),
                        district: *district,
                    }),
                    ..Ebike::default()
                };
            }
            E::EbikeReportedStolen(EbikeReportedStolen {
                case_id,
                reported_by,
                ..
            }) => {
                self.status = EbikeStatus::Stolen;
                self.case_id = Some(case_id.clone());
                self.case_solved = false;
                self.confirmation = Some(Confirmation::of(reported_by));
            }
            E::TheftReportConfirmedByOwner {} => self.confirmation = Some(Confirmation::ByOwner),
            E::TheftReportUnderReview { reason, .. } => {
                self.confirmation = Some(Confirmation::UnderReview(*reason));
            }
            E::StolenEbikeSighted(_) => self.hits += 1,
            E::EbikeRecovered(_) => {
                self.status = EbikeStatus::Recovered;
                self.confirmation = None;
            }
            E::EbikeReturnedToOwner {} => self.status = EbikeStatus::Registered,
            E::EbikeCaseSolved(_) => self.case_solved = true,
            E::EbikeDeregistered { .. } => self.status = EbikeStatus::Deregistered,
            _ => {}
        }
    }

    fn decide(&self, command: &EbikeCommand) -> Result<Vec<VehicleEvent>, EbikeRule> {
        use EbikeCommand as C;
        use EbikeStatus as S;
        let event = match (command, self.status) {
            (C::Register(r), S::Unregistered | S::Deregistered) => {
                VehicleEvent::EbikeRegistered(EbikeRegistered {
                    owner: r.owner.clone(),
                    owner_phone: r.owner_phone.clone(),
                    frame_number: r.frame_number.clone(),
                    motor_number: r.motor_number.clone(),
                    plate: r.plate.clone(),
                    district: r.district,
                })
            }
            (C::Register(_), S::Stolen) => return Err(EbikeRule::StolenCannotBeReRegistered),
            (C::Register(_), _) => return Err(EbikeRule::TagInUse),
            (_, S::Unregistered | S::Deregistered) => return Err(EbikeRule::NotRegistered),

            (
                C::ReportStolen {
                    case_id,
                    stolen_at,
                    place,
                    by,
                },
                S::Registered,
            ) => {
                if let Reporter::Owner(person) = by {
                    self.is_owner(person)?;
                }
                let (frame_number, motor_number, owner) = self
                    .registration
                    .as_ref()
                    .map(|r| {
                        let numbers = (r.frame_number.clone(), r.motor_number.clone());
                        (numbers.0, numbers.1, Some(r.owner.clone()))
                    })
                    .unwrap_or_default();
                VehicleEvent::EbikeReportedStolen(EbikeReportedStolen {
                    case_id: case_id.clone(),
                    stolen_at: *stolen_at,
                    place: place.clone(),
                    frame_number,
                    motor_number,
                    reported_by: theft_report::recorded(by),
                    owner,
                })
            }
            (C::ReportStolen { .. }, S::Stolen) => return Err(EbikeRule::AlreadyStolen),
            (C::ReportStolen { .. }, _) => return Err(EbikeRule::NotReturned),

            (C::ConfirmTheft { owner }, _) => {
                self.is_owner(owner)?;
                match self.confirmation {
                    Some(c) if c.is_open_to_the_owner() => {
                        VehicleEvent::TheftReportConfirmedByOwner {}
                    }
                    _ => return Err(EbikeRule::NothingForTheOwnerToAnswer),
                }
            }
            (C::DisputeTheft { owner }, _) => {
                self.is_owner(owner)?;
                match self.confirmation {
                    // Said already: nothing new to record.
                    Some(Confirmation::UnderReview(ReviewReason::DisputedByOwner)) => {
                        return Ok(Vec::new());
                    }
                    Some(c) if c.is_open_to_the_owner() => {
                        self.to_review(ReviewReason::DisputedByOwner)
                    }
                    _ => return Err(EbikeRule::NothingForTheOwnerToAnswer),
                }
            }
            (C::ReviewIfUnconfirmed { now }, S::Stolen) => match self.confirmation {
                Some(Confirmation::AwaitingOwner { until }) if until <= *now => {
                    self.to_review(ReviewReason::NotConfirmedInTime)
                }
                // Answered, or not yet due: nothing to do.
                _ => return Ok(Vec::new()),
            },
            (C::ReviewIfUnconfirmed { .. }, _) => return Ok(Vec::new()),

            (
                C::RecordSighting {
                    reader_id,
                    district,
                    location,
                    seen_at,
                },
                S::Stolen,
            ) => VehicleEvent::StolenEbikeSighted(StolenEbikeSighted {
                reader_id: reader_id.clone(),
                district: *district,
                location: *location,
                seen_at: *seen_at,
            }),
            (
                C::RecordPresentation {
                    presented_by,
                    on_tag,
                    district,
                    presented_at,
                },
                S::Stolen,
            ) => VehicleEvent::StolenEbikePresented(StolenEbikePresented {
                presented_by: presented_by.clone(),
                on_tag: on_tag.clone(),
                district: *district,
                presented_at: *presented_at,
            }),
            (C::RecordPresentation { .. }, _) => return Err(EbikeRule::NotStolen),

            // A bike that is not stolen is only counted, never recorded.
            (C::RecordSighting { .. }, _) => return Ok(Vec::new()),

            (C::RecordRecovery { officer, place }, S::Stolen) => {
                VehicleEvent::EbikeRecovered(EbikeRecovered {
                    officer: officer.clone(),
                    place: place.clone(),
                })
            }
            (C::RecordRecovery { .. }, _) => return Err(EbikeRule::NotStolen),

            (C::ReturnToOwner, S::Recovered) => VehicleEvent::EbikeReturnedToOwner {},
            (C::ReturnToOwner, _) => return Err(EbikeRule::NotRecovered),

            (
                C::RecordCaseSolved {
                    suspects,
                    theft_and_resale_ring,
                },
                _,
            ) => {
                let case_id = self.case_id.clone().ok_or(EbikeRule::NoCase)?;
                if self.case_solved {
                    return Err(EbikeRule::CaseAlreadySolved);
                }
                if *suspects > 1000 {
                    return Err(EbikeRule::TooManySuspects);
                }
                VehicleEvent::EbikeCaseSolved(EbikeCaseSolved {
                    case_id,
                    suspects: *suspects,
                    theft_and_resale_ring: *theft_and_resale_ring,
                })
            }

            (C::Deregister { reason }, S::Registered) => VehicleEvent::EbikeDeregistered {
                reason: reason.clone(),
            },
            (C::Deregister { .. }, S::Stolen) => return Err(EbikeRule::AlreadyStolen),
            (C::Deregister { .. }, _) => return Err(EbikeRule::NotReturned),
        };
        Ok(vec![event])
    }
}
