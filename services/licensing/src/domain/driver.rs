//! A driver's points, one stream per person key: a 12-month cycle from the
//! first licence, at most 12 points; at 12 the licence is withheld until
//! study and a re-exam; study takes points off (a set number per
//! completion, up to a cap per cycle); at the cycle's end, under 12, the
//! points clear except those of violations whose fine is unpaid.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use minsheng_eventstore::Aggregate;

use super::events::LicensingEvent;

/// The most points a cycle holds: reaching it withholds the licence.
pub const MAXIMUM_POINTS: u8 = 12;

/// Study to reduce points, as settings: Zhejiang's 2014 rule by default
/// (today's national rule is 1 per study, at most 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StudyPolicy {
    pub points_per_study: u8,
    pub cap_per_cycle: u8,
}

impl Default for StudyPolicy {
    fn default() -> Self {
        StudyPolicy {
            points_per_study: 2,
            cap_per_cycle: 4,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Driver {
    pub cycle_start: Option<NaiveDate>,
    /// Points in the cycle, 0 to 12.
    pub points: u8,
    /// Points taken off by study in the cycle.
    pub reduced: u8,
    /// The points of violations whose fine is not paid yet, by violation:
    /// they stay past the cycle's end.
    pub unpaid: BTreeMap<String, u8>,
    /// Violations whose points were given (each counts once).
    pub counted: BTreeMap<String, u8>,
    pub withheld: bool,
}

impl Driver {
    /// The day the current cycle ends (the next begins).
    pub fn cycle_end(&self) -> Option<NaiveDate> {
        self.cycle_start?.checked_add_months(Months::new(12))
    }
}

#[derive(Clone, Debug)]
pub enum DriverCommand {
    /// The licence was issued: the first cycle starts.
    StartCycles {
        on: NaiveDate,
    },
    /// A handled violation's points.
    AddPoints {
        violation: String,
        points: u8,
        on: NaiveDate,
    },
    /// The violation's fine was paid: its points clear with the others.
    SettleFine {
        violation: String,
    },
    /// An online study and its test completed.
    Study {
        on: NaiveDate,
        /// The driver's violations not yet handled (the read model's count).
        unhandled: u32,
        policy: StudyPolicy,
    },
    EndCycle {
        on: NaiveDate,
    },
    /// After the study of a withheld licence, the theory re-exam passed.
    PassReExam {
        on: NaiveDate,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DriverRule {
    #[error("no licence has been issued to this person")]
    NotADriver,
    #[error("the licence is already issued")]
    AlreadyADriver,
    #[error("at 12 points the licence is withheld: study and pass the re-exam instead")]
    AtTwelvePoints,
    #[error("{count} violations are not handled yet: handle them first")]
    UnhandledViolations { count: u32 },
    #[error("study took {cap} points off this cycle, the most it may")]
    CapReached { cap: u8 },
    #[error("there are no points to take off")]
    NoPoints,
    #[error("the cycle ends on {end}")]
    CycleNotOver { end: NaiveDate },
    #[error("the licence is not withheld")]
    NotWithheld,
}

impl Aggregate for Driver {
    type Event = LicensingEvent;
    type Command = DriverCommand;
    type Error = DriverRule;

    fn apply(&mut self, event: &LicensingEvent) {
        use LicensingEvent as E;
        match event {
            E::DriverCyclesStarted { on } => self.cycle_start = Some(*on),
            E::PointsAdded {
                violation,
                points,
                total,
            } => {
                self.points = *total;
                self.counted.insert(violation.clone(), *points);
                self.unpaid.insert(violation.clone(), *points);
            }
            E::LicenceWithheld { .. } => self.withheld = true,
            E::UnpaidFineSettled { violation } => {
                self.unpaid.remove(violation);
            }
            E::PointsReducedByStudy { by, total } => {
                self.reduced += *by;
                self.points = *total;
            }
            E::CycleEnded {
                next_start,
                carried,
            } => {
                self.cycle_start = Some(*next_start);
                self.points = *carried;
                self.reduced = 0;
            }
            E::LicenceReinstated { .. } => {
                self.withheld = false;
                self.points = 0;
                self.reduced = 0;
            }
            _ => {}
        }
    }

    fn decide(&self, command: &DriverCommand) -> Result<Vec<LicensingEvent>, DriverRule> {
        use DriverCommand as C;
        if !matches!(command, C::StartCycles { .. }) && self.cycle_start.is_none() {
            return Err(DriverRule::NotADriver);
        }
        match command {
            C::StartCycles { on } => {
                if self.cycle_start.is_some() {
                    return Err(DriverRule::AlreadyADriver);
                }
                Ok(vec![LicensingEvent::DriverCyclesStarted { on: *on }])
            }
            C::AddPoints {
                violation,
                points,
                on,
            } => {
                if self.counted.contains_key(violation) {
                    return Ok(Vec::new());
                }
                let total = self.points.saturating_add(*points).min(MAXIMUM_POINTS);
                let mut events = vec![LicensingEvent::PointsAdded {
                    violation: violation.clone(),
                    points: *points,
                    total,
                }];
                if total == MAXIMUM_POINTS && !self.withheld {
                    events.push(LicensingEvent::LicenceWithheld { on: *on });
                }
                Ok(events)
            }
            C::SettleFine { violation } => Ok(if self.unpaid.contains_key(violation) {
                vec![LicensingEvent::UnpaidFineSettled {
                    violation: violation.clone(),
                }]
            } else {
                Vec::new()
            }),
            C::Study {
                unhandled, policy, ..
            } => {
                if self.withheld || self.points >= MAXIMUM_POINTS {
                    return Err(DriverRule::AtTwelvePoints);
                }
                if *unhandled > 0 {
                    return Err(DriverRule::UnhandledViolations { count: *unhandled });
                }
                let room = policy.cap_per_cycle.saturating_sub(self.reduced);
                if room == 0 {
                    return Err(DriverRule::CapReached {
                        cap: policy.cap_per_cycle,
                    });
                }
                if self.points == 0 {
                    return Err(DriverRule::NoPoints);
                }
                let by = policy.points_per_study.min(room).min(self.points);
                Ok(vec![LicensingEvent::PointsReducedByStudy {
                    by,
                    total: self.points - by,
                }])
            }
            C::EndCycle { on } => {
                let end = self.cycle_end().ok_or(DriverRule::NotADriver)?;
                if *on < end {
                    return Err(DriverRule::CycleNotOver { end });
                }
                // At 12 the licence stays withheld and the points with it;
                // under 12 only the points of unpaid fines stay.
                let carried = if self.withheld {
                    self.points
                } else {
                    let unpaid: u32 = self.unpaid.values().map(|p| u32::from(*p)).sum();
                    u8::try_from(unpaid)
                        .unwrap_or(MAXIMUM_POINTS)
                        .min(self.points)
                };
                Ok(vec![LicensingEvent::CycleEnded {
                    next_start: end,
                    carried,
                }])
            }
            C::PassReExam { on } => {
                if !self.withheld {
                    return Err(DriverRule::NotWithheld);
                }
                Ok(vec![LicensingEvent::LicenceReinstated { on: *on }])
            }
        }
    }
}
