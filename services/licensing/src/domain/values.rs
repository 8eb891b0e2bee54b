//! Values of the licensing context, beside the ones every context shares
//! (`minsheng_values`, re-exported). Each `parse` names its field.

use serde::{Deserialize, Serialize};

pub use minsheng_values::*;

/// The four exams on the way to a licence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Theory: 100 questions in 45 minutes. Its pass issues the learner
    /// permit.
    Theory,
    /// Field skills, scored electronically ("subject 2").
    FieldSkills,
    /// Road driving ("subject 3").
    RoadDriving,
    /// The safety-and-civility theory test taken with road driving
    /// ("subject 4").
    SafetyAndCivility,
}

impl Subject {
    pub const ALL: [Subject; 4] = [
        Subject::Theory,
        Subject::FieldSkills,
        Subject::RoadDriving,
        Subject::SafetyAndCivility,
    ];

    /// Subjects 2 and 3: booked at most a set number of times within a
    /// permit, and a last failure voids the other passes.
    pub fn is_limited(self) -> bool {
        matches!(self, Subject::FieldSkills | Subject::RoadDriving)
    }

    /// The subject number as the public knows it (1 to 4).
    pub fn number(self) -> u8 {
        match self {
            Subject::Theory => 1,
            Subject::FieldSkills => 2,
            Subject::RoadDriving => 3,
            Subject::SafetyAndCivility => 4,
        }
    }

    pub fn parse(field: &'static str, number: u32) -> Result<Self, InvalidField> {
        match number {
            1 => Ok(Subject::Theory),
            2 => Ok(Subject::FieldSkills),
            3 => Ok(Subject::RoadDriving),
            4 => Ok(Subject::SafetyAndCivility),
            _ => Err(InvalidField {
                field,
                expected: "a subject from 1 to 4",
            }),
        }
    }
}

/// What the licence is for: the rules differ for large vehicles and for
/// automatic cars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleClass {
    /// C1: a small car, manual.
    SmallManual,
    /// C2: a small car, automatic.
    SmallAutomatic,
    /// A and B classes: buses, lorries.
    Large,
}

/// An exam score, 0 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Score(u8);

impl Score {
    pub fn parse(field: &'static str, points: u32) -> Result<Self, InvalidField> {
        u8::try_from(points)
            .ok()
            .filter(|p| *p <= 100)
            .map(Score)
            .ok_or(InvalidField {
                field,
                expected: "a score from 0 to 100",
            })
    }

    pub fn get(self) -> u8 {
        self.0
    }
}
