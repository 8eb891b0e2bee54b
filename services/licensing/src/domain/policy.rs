//! The numbers the exam rules use. Today's national rules are the
//! defaults; where 2015 differed, an operator sets them (the simulator's
//! 2015 may).

use chrono::Duration;

use super::values::{Subject, VehicleClass};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExamPolicy {
    /// A learner permit's life, from the theory pass.
    pub permit_years: u32,
    /// Days from the permit to the earliest field-skills exam: small cars,
    /// large vehicles.
    pub field_skills_after: (i64, i64),
    /// Days from the permit to the earliest road-driving exam: manual
    /// cars, automatic cars, large vehicles.
    pub road_driving_after: (i64, i64, i64),
    /// Days after a failed make-up before the subject may be taken again.
    pub wait_after_failed_make_up: i64,
    /// Bookings of field skills, and of road driving, within one permit.
    pub limited_bookings: u8,
    /// Sessions are published at least this many days ahead.
    pub publish_ahead: i64,
    /// The most candidates one examiner examines in a day.
    pub examiner_daily_maximum: u32,
}

impl Default for ExamPolicy {
    fn default() -> Self {
        ExamPolicy {
            permit_years: 3,
            field_skills_after: (10, 20),
            road_driving_after: (30, 20, 40),
            wait_after_failed_make_up: 10,
            limited_bookings: 5,
            publish_ahead: 10,
            examiner_daily_maximum: 100,
        }
    }
}

impl ExamPolicy {
    /// The pass mark of `subject` for `class`.
    pub fn pass_mark(&self, subject: Subject, class: VehicleClass) -> u8 {
        match (subject, class) {
            (Subject::FieldSkills, VehicleClass::Large) => 90,
            (Subject::FieldSkills, _) => 80,
            _ => 90,
        }
    }

    /// How long after the permit `subject` may first be taken by `class`
    /// (the theory exam comes before any permit).
    pub fn earliest_after_permit(&self, subject: Subject, class: VehicleClass) -> Duration {
        let days = match (subject, class) {
            (Subject::Theory, _) => 0,
            (Subject::FieldSkills, VehicleClass::Large) => self.field_skills_after.1,
            (Subject::FieldSkills, _) => self.field_skills_after.0,
            (Subject::RoadDriving | Subject::SafetyAndCivility, VehicleClass::SmallManual) => {
                self.road_driving_after.0
            }
            (Subject::RoadDriving | Subject::SafetyAndCivility, VehicleClass::SmallAutomatic) => {
                self.road_driving_after.1
            }
            (Subject::RoadDriving | Subject::SafetyAndCivility, VehicleClass::Large) => {
                self.road_driving_after.2
            }
        };
        Duration::days(days)
    }
}
