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

/// A Wenzhou car plate: 浙C and 5 letters or digits, never I or O (they
/// read as 1 and 0). Spaces and a lower-case letter are forgiven; the
/// plate is kept as 浙CXXXXX.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CarPlate(String);

impl CarPlate {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let rest = compact.strip_prefix("浙C").unwrap_or("");
        let ok = rest.chars().count() == 5
            && rest
                .chars()
                .all(|c| (c.is_ascii_uppercase() || c.is_ascii_digit()) && c != 'I' && c != 'O');
        if ok {
            Ok(CarPlate(compact))
        } else {
            Err(InvalidField {
                field,
                expected: "a Wenzhou plate: 浙C and 5 letters or digits, no I or O",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A caller's rating of a move-car request: 1 to 5 stars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stars(u8);

impl Stars {
    pub fn parse(field: &'static str, stars: u32) -> Result<Self, InvalidField> {
        u8::try_from(stars)
            .ok()
            .filter(|s| (1..=5).contains(s))
            .map(Stars)
            .ok_or(InvalidField {
                field,
                expected: "a rating from 1 to 5",
            })
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// 4 or 5 stars: the satisfaction figure counts these.
    pub fn is_satisfied(self) -> bool {
        self.0 >= 4
    }
}
