//! Who may flag a bike stolen, and what its owner says about it. A stolen
//! flag turns every later sighting of the bike into a located hit, so it
//! could be used to follow its owner: a report comes from the owner
//! (through a gateway acting for them) or from an officer for a case. An
//! officer's report is put to the owner, who confirms or disputes it by
//! `confirm_by`; disputed, or unanswered by then, it goes to review, and
//! the bike's sightings are no longer shown as hits until the owner
//! confirms or the bike is recovered.

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::TheftReporter;
use serde::{Deserialize, Serialize};

use super::values::PersonKey;

/// Who is reporting, as the command says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reporter {
    /// The owner, by their person key (the gateway named them).
    Owner(PersonKey),
    /// An officer (token subject), whose report the owner must confirm by
    /// `confirm_by`.
    Officer {
        officer: String,
        confirm_by: DateTime<Utc>,
    },
}

/// Why a theft report went to review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The owner did not confirm an officer's report in time.
    NotConfirmedInTime,
    /// The owner said the bike was not stolen.
    DisputedByOwner,
}

/// Where the current theft report stands with the bike's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Made before owners confirmed reports (a schema 1 report).
    Unrecorded,
    /// Reported, or confirmed, by the owner.
    ByOwner,
    /// An officer's report the owner has not answered yet.
    AwaitingOwner { until: DateTime<Utc> },
    /// Disputed, or not confirmed in time: its sightings are withheld.
    UnderReview(ReviewReason),
}

impl Confirmation {
    /// How a report's event says it starts.
    pub fn of(reported_by: &TheftReporter) -> Confirmation {
        match reported_by {
            TheftReporter::Unrecorded => Confirmation::Unrecorded,
            TheftReporter::Owner => Confirmation::ByOwner,
            TheftReporter::Officer { confirm_by, .. } => {
                Confirmation::AwaitingOwner { until: *confirm_by }
            }
        }
    }

    /// Whether an answer from the owner would change anything.
    pub fn is_open_to_the_owner(self) -> bool {
        matches!(
            self,
            Confirmation::AwaitingOwner { .. } | Confirmation::UnderReview(_)
        )
    }
}

/// The event's form of a reporter.
pub fn recorded(reporter: &Reporter) -> TheftReporter {
    match reporter {
        Reporter::Owner(_) => TheftReporter::Owner,
        Reporter::Officer {
            officer,
            confirm_by,
        } => TheftReporter::Officer {
            officer: officer.clone(),
            confirm_by: *confirm_by,
        },
    }
}
