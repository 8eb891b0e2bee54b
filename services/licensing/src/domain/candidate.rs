//! A candidate's way to a licence, one stream per person key: enrolled
//! (vehicle class, home district), the theory exam and its learner permit,
//! field skills and road driving with the safety-and-civility test within
//! the permit, the licence on the last pass. This aggregate answers "may
//! this candidate book this session?" and "what does this result do?";
//! the seat itself is the session's (see [`super::session`]).

use std::collections::BTreeMap;

use chrono::{Duration, Months, NaiveDate};
use minsheng_eventstore::Aggregate;

use super::events::{LicensingEvent, Release};
use super::policy::ExamPolicy;
use super::values::{District, Score, Subject, VehicleClass};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permit {
    pub issued_on: NaiveDate,
    /// The last day on which an exam may be taken under it.
    pub valid_until: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenBooking {
    pub session: String,
    pub date: NaiveDate,
}

#[derive(Clone, Debug, Default)]
pub struct Candidate {
    pub class: Option<VehicleClass>,
    pub district: Option<District>,
    pub permit: Option<Permit>,
    /// Passes under the current permit (the theory's issued it).
    pub passed: BTreeMap<Subject, NaiveDate>,
    /// At most one open booking per subject, by construction.
    pub booked: BTreeMap<Subject, OpenBooking>,
    /// Bookings of field skills and of road driving examined (passed,
    /// failed or missed) under the current permit.
    pub attempts: BTreeMap<Subject, u8>,
    /// After a failed booking: no session of the subject before this day.
    pub not_before: BTreeMap<Subject, NaiveDate>,
    pub licensed_on: Option<NaiveDate>,
}

/// The session a candidate asks to book, as the session's stream says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRef {
    pub id: String,
    pub subject: Subject,
    pub date: NaiveDate,
    pub serves: Vec<District>,
}

/// What the exam system reports for a booking: the first attempt's score,
/// and the make-up's if the first failed and one was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Scored {
        first: Score,
        make_up: Option<Score>,
    },
    /// The candidate did not come: a failed booking.
    NoShow,
}

#[derive(Clone, Debug)]
pub enum CandidateCommand {
    Enrol {
        class: VehicleClass,
        district: District,
    },
    Book {
        session: SessionRef,
        today: NaiveDate,
        policy: ExamPolicy,
    },
    /// The candidate gives the booking back (up to the day before).
    Cancel { subject: Subject, today: NaiveDate },
    /// The booking could not keep its seat (the session was full, or
    /// closed).
    Release { subject: Subject, reason: Release },
    RecordResult {
        session: String,
        subject: Subject,
        outcome: Outcome,
        on: NaiveDate,
        policy: ExamPolicy,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CandidateRule {
    #[error("the candidate is not enrolled with a driving school")]
    NotEnrolled,
    #[error("the candidate is already enrolled")]
    AlreadyEnrolled,
    #[error("the candidate already holds a licence")]
    AlreadyLicensed,
    #[error("the session's day has come: book a later one")]
    SessionNotAhead,
    #[error("the candidate already holds a booking of this subject")]
    AlreadyBooked,
    #[error("the session's site does not serve the candidate's district: book one near home")]
    NotNearby,
    #[error("this subject is already passed")]
    AlreadyPassed,
    #[error("this subject needs a learner permit: pass the theory exam first")]
    NeedsPermit,
    #[error(
        "the learner permit ends on {until} (before the session): its passes lapse; take the theory exam again"
    )]
    PermitEnds { until: NaiveDate },
    #[error("this subject may be taken from {earliest}")]
    TooEarly { earliest: NaiveDate },
    #[error("after a failed booking this subject may be taken from {from}")]
    MustWait { from: NaiveDate },
    #[error("this subject was booked {limit} times under this permit")]
    BookingLimitReached { limit: u8 },
    #[error("the candidate holds no booking of this subject")]
    NoBooking,
    #[error("the booking is for another session")]
    AnotherSession,
    #[error("a booking is cancelled at the latest the day before the session")]
    TooLateToCancel,
    #[error("a make-up is taken only after a failed first attempt")]
    MakeUpAfterAPass,
}

impl Candidate {
    /// Whether `subject` is passed under the permit in force.
    pub fn has_passed(&self, subject: Subject) -> bool {
        self.passed.contains_key(&subject)
    }

    /// The first rule `session` breaks for this candidate, if any.
    fn may_book(
        &self,
        session: &SessionRef,
        today: NaiveDate,
        policy: &ExamPolicy,
    ) -> Result<(), CandidateRule> {
        let (Some(class), Some(district)) = (self.class, self.district) else {
            return Err(CandidateRule::NotEnrolled);
        };
        if self.licensed_on.is_some() {
            return Err(CandidateRule::AlreadyLicensed);
        }
        if session.date <= today {
            return Err(CandidateRule::SessionNotAhead);
        }
        let subject = session.subject;
        if self.booked.contains_key(&subject) {
            return Err(CandidateRule::AlreadyBooked);
        }
        if !session.serves.contains(&district) {
            return Err(CandidateRule::NotNearby);
        }
        let permit_in_force = self.permit.filter(|p| session.date <= p.valid_until);
        match (subject, self.permit, permit_in_force) {
            // The theory again only once its permit has run out.
            (Subject::Theory, _, Some(_)) => return Err(CandidateRule::AlreadyPassed),
            (Subject::Theory, _, None) => {}
            (_, None, _) => return Err(CandidateRule::NeedsPermit),
            (_, Some(permit), None) => {
                return Err(CandidateRule::PermitEnds {
                    until: permit.valid_until,
                });
            }
            (_, _, Some(permit)) => {
                if self.has_passed(subject) {
                    return Err(CandidateRule::AlreadyPassed);
                }
                let earliest = permit.issued_on + policy.earliest_after_permit(subject, class);
                if session.date < earliest {
                    return Err(CandidateRule::TooEarly { earliest });
                }
                let attempts = self.attempts.get(&subject).copied().unwrap_or(0);
                if subject.is_limited() && attempts >= policy.limited_bookings {
                    return Err(CandidateRule::BookingLimitReached {
                        limit: policy.limited_bookings,
                    });
                }
            }
        }
        match self.not_before.get(&subject) {
            Some(from) if session.date < *from => Err(CandidateRule::MustWait { from: *from }),
            _ => Ok(()),
        }
    }

    /// What a result of `subject` records, the booking being open.
    fn result(
        &self,
        session: &str,
        subject: Subject,
        outcome: Outcome,
        on: NaiveDate,
        policy: &ExamPolicy,
    ) -> Result<Vec<LicensingEvent>, CandidateRule> {
        let class = self.class.ok_or(CandidateRule::NotEnrolled)?;
        let booking = self.booked.get(&subject).ok_or(CandidateRule::NoBooking)?;
        if booking.session != session {
            return Err(CandidateRule::AnotherSession);
        }
        let mark = policy.pass_mark(subject, class);
        let (passed, scores) = match outcome {
            Outcome::NoShow => (false, Vec::new()),
            Outcome::Scored { first, make_up } => {
                if first.get() >= mark && make_up.is_some() {
                    return Err(CandidateRule::MakeUpAfterAPass);
                }
                let passed = first.get() >= mark || make_up.is_some_and(|s| s.get() >= mark);
                let scores = std::iter::once(first).chain(make_up).map(Score::get);
                (passed, scores.collect())
            }
        };
        let session = session.to_owned();
        if !passed {
            let mut events = vec![LicensingEvent::ExamFailed {
                subject,
                session,
                on,
                scores,
                not_before: on + Duration::days(policy.wait_after_failed_make_up),
            }];
            let attempts = self.attempts.get(&subject).copied().unwrap_or(0) + 1;
            if subject.is_limited() && attempts >= policy.limited_bookings {
                events.push(LicensingEvent::PassesVoided { on });
            }
            return Ok(events);
        }
        let mut events = vec![LicensingEvent::ExamPassed {
            subject,
            session,
            on,
            scores,
        }];
        if subject == Subject::Theory {
            let valid_until = on
                .checked_add_months(Months::new(12 * policy.permit_years))
                .unwrap_or(NaiveDate::MAX);
            events.push(LicensingEvent::LearnerPermitIssued {
                issued_on: on,
                valid_until,
            });
        } else if Subject::ALL
            .iter()
            .all(|s| *s == subject || self.has_passed(*s))
        {
            events.push(LicensingEvent::LicenceIssued { on, class });
        }
        Ok(events)
    }
}

impl Aggregate for Candidate {
    type Event = LicensingEvent;
    type Command = CandidateCommand;
    type Error = CandidateRule;

    fn apply(&mut self, event: &LicensingEvent) {
        use LicensingEvent as E;
        match event {
            E::CandidateEnrolled { class, district } => {
                self.class = Some(*class);
                self.district = Some(*district);
            }
            E::ExamBooked {
                subject,
                session,
                date,
            } => {
                self.booked.insert(
                    *subject,
                    OpenBooking {
                        session: session.clone(),
                        date: *date,
                    },
                );
            }
            E::BookingCancelled { subject } | E::BookingReleased { subject, .. } => {
                self.booked.remove(subject);
            }
            E::ExamPassed { subject, on, .. } => {
                self.booked.remove(subject);
                self.passed.insert(*subject, *on);
                self.count_attempt(*subject);
            }
            E::ExamFailed {
                subject,
                not_before,
                ..
            } => {
                self.booked.remove(subject);
                self.not_before.insert(*subject, *not_before);
                self.count_attempt(*subject);
            }
            E::LearnerPermitIssued {
                issued_on,
                valid_until,
            } => {
                // A new permit: what was passed under an old one lapsed.
                self.permit = Some(Permit {
                    issued_on: *issued_on,
                    valid_until: *valid_until,
                });
                self.passed.retain(|subject, _| *subject == Subject::Theory);
                self.attempts.clear();
            }
            E::PassesVoided { .. } => {
                self.permit = None;
                self.passed.clear();
                self.attempts.clear();
            }
            E::LicenceIssued { on, .. } => self.licensed_on = Some(*on),
            _ => {}
        }
    }

    fn decide(&self, command: &CandidateCommand) -> Result<Vec<LicensingEvent>, CandidateRule> {
        use CandidateCommand as C;
        match command {
            C::Enrol { class, district } => {
                if self.class.is_some() {
                    return Err(CandidateRule::AlreadyEnrolled);
                }
                Ok(vec![LicensingEvent::CandidateEnrolled {
                    class: *class,
                    district: *district,
                }])
            }
            C::Book {
                session,
                today,
                policy,
            } => {
                self.may_book(session, *today, policy)?;
                Ok(vec![LicensingEvent::ExamBooked {
                    subject: session.subject,
                    session: session.id.clone(),
                    date: session.date,
                }])
            }
            C::Cancel { subject, today } => {
                let booking = self.booked.get(subject).ok_or(CandidateRule::NoBooking)?;
                if *today >= booking.date {
                    return Err(CandidateRule::TooLateToCancel);
                }
                Ok(vec![LicensingEvent::BookingCancelled { subject: *subject }])
            }
            C::Release { subject, reason } => Ok(if self.booked.contains_key(subject) {
                vec![LicensingEvent::BookingReleased {
                    subject: *subject,
                    reason: *reason,
                }]
            } else {
                Vec::new()
            }),
            C::RecordResult {
                session,
                subject,
                outcome,
                on,
                policy,
            } => self.result(session, *subject, *outcome, *on, policy),
        }
    }
}

impl Candidate {
    fn count_attempt(&mut self, subject: Subject) {
        if subject.is_limited() {
            *self.attempts.entry(subject).or_insert(0) += 1;
        }
    }
}
