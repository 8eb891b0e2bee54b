//! An exam session: a subject at a site on a day, with its seats. One
//! stream per session, so every seat taken is decided against every seat
//! taken before it: a session is never oversold, and a candidate holds at
//! most one of its seats. (That a candidate holds one booking per subject
//! across sessions is the candidate's rule, in [`super::candidate`].)

use std::collections::BTreeSet;

use chrono::NaiveDate;
use minsheng_eventstore::Aggregate;

use super::events::LicensingEvent;
use super::policy::ExamPolicy;
use super::values::{District, PersonKey, Subject, Text};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub subject: Subject,
    pub date: NaiveDate,
    pub site: String,
    pub serves: Vec<District>,
    pub capacity: u32,
    pub examiner: String,
}

#[derive(Clone, Debug, Default)]
pub struct Session {
    pub published: Option<Published>,
    pub seated: BTreeSet<PersonKey>,
    pub closed: bool,
}

impl Session {
    /// Seats still free (none once closed).
    pub fn free(&self) -> u32 {
        match &self.published {
            Some(p) if !self.closed => p.capacity.saturating_sub(self.seated.len() as u32),
            _ => 0,
        }
    }
}

#[derive(Clone, Debug)]
pub enum SessionCommand {
    Publish {
        published: Published,
        today: NaiveDate,
        policy: ExamPolicy,
    },
    TakeSeat {
        candidate: PersonKey,
        today: NaiveDate,
    },
    ReleaseSeat {
        candidate: PersonKey,
    },
    Close {
        reason: Text,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionRule {
    #[error("this session is already published")]
    AlreadyPublished,
    #[error("a session is published at least {days} days ahead")]
    TooSoon { days: i64 },
    #[error("a session has at least one seat")]
    NoSeats,
    #[error("an examiner examines at most {maximum} candidates a day")]
    OverExaminerMaximum { maximum: u32 },
    #[error("a session serves at least one district")]
    ServesNoDistrict,
    #[error("no session is published under this id")]
    NotPublished,
    #[error("the session is closed")]
    Closed,
    #[error("the session is full")]
    Full,
    #[error("the session's day has come: it can no longer be booked")]
    TooLate,
    #[error("the candidate already holds a seat in this session")]
    AlreadySeated,
}

impl Aggregate for Session {
    type Event = LicensingEvent;
    type Command = SessionCommand;
    type Error = SessionRule;

    fn apply(&mut self, event: &LicensingEvent) {
        match event {
            LicensingEvent::SessionPublished {
                subject,
                date,
                site,
                serves,
                capacity,
                examiner,
            } => {
                self.published = Some(Published {
                    subject: *subject,
                    date: *date,
                    site: site.clone(),
                    serves: serves.clone(),
                    capacity: *capacity,
                    examiner: examiner.clone(),
                });
            }
            LicensingEvent::SeatTaken { candidate } => {
                self.seated.insert(candidate.clone());
            }
            LicensingEvent::SeatReleased { candidate } => {
                self.seated.remove(candidate);
            }
            LicensingEvent::SessionClosed { .. } => self.closed = true,
            _ => {}
        }
    }

    fn decide(&self, command: &SessionCommand) -> Result<Vec<LicensingEvent>, SessionRule> {
        use SessionCommand as C;
        let event = match command {
            C::Publish {
                published,
                today,
                policy,
            } => {
                if self.published.is_some() {
                    return Err(SessionRule::AlreadyPublished);
                }
                if (published.date - *today).num_days() < policy.publish_ahead {
                    return Err(SessionRule::TooSoon {
                        days: policy.publish_ahead,
                    });
                }
                if published.capacity == 0 {
                    return Err(SessionRule::NoSeats);
                }
                if published.capacity > policy.examiner_daily_maximum {
                    return Err(SessionRule::OverExaminerMaximum {
                        maximum: policy.examiner_daily_maximum,
                    });
                }
                if published.serves.is_empty() {
                    return Err(SessionRule::ServesNoDistrict);
                }
                LicensingEvent::SessionPublished {
                    subject: published.subject,
                    date: published.date,
                    site: published.site.clone(),
                    serves: published.serves.clone(),
                    capacity: published.capacity,
                    examiner: published.examiner.clone(),
                }
            }
            C::TakeSeat { candidate, today } => {
                let published = self.published.as_ref().ok_or(SessionRule::NotPublished)?;
                if self.closed {
                    return Err(SessionRule::Closed);
                }
                if published.date <= *today {
                    return Err(SessionRule::TooLate);
                }
                if self.seated.contains(candidate) {
                    return Err(SessionRule::AlreadySeated);
                }
                if self.free() == 0 {
                    return Err(SessionRule::Full);
                }
                LicensingEvent::SeatTaken {
                    candidate: candidate.clone(),
                }
            }
            C::ReleaseSeat { candidate } => {
                if !self.seated.contains(candidate) {
                    // Released already, or never taken: nothing to do.
                    return Ok(Vec::new());
                }
                LicensingEvent::SeatReleased {
                    candidate: candidate.clone(),
                }
            }
            C::Close { reason } => {
                if self.published.is_none() {
                    return Err(SessionRule::NotPublished);
                }
                if self.closed {
                    return Ok(Vec::new());
                }
                LicensingEvent::SessionClosed {
                    reason: reason.clone(),
                }
            }
        };
        Ok(vec![event])
    }
}
