//! The licensing rules as the bureau would state them: a module per part
//! (sessions and their seats; a candidate's way to a licence; violations
//! and fines; drivers' points and study; properties over random
//! histories), on the givens below.

#![allow(clippy::unwrap_used)]

use chrono::{Duration, NaiveDate};
use minsheng_eventstore::Aggregate;
use minsheng_licensing::domain::candidate::{
    Candidate, CandidateCommand, CandidateRule, Outcome, SessionRef,
};
use minsheng_licensing::domain::events::{LicensingEvent, Release};
use minsheng_licensing::domain::policy::ExamPolicy;
use minsheng_licensing::domain::session::{Published, Session, SessionCommand, SessionRule};
use minsheng_licensing::domain::values::{District, PersonKey, Score, Subject, Text, VehicleClass};

mod candidates;
mod drivers;
mod move_car;
mod properties;
mod refusals;
mod sessions;
mod violations;

/// The day the candidate enrols.
fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 3, 1).unwrap() + Duration::days(n)
}

fn district(name: &str) -> District {
    District::parse("district", name).unwrap()
}

fn person(n: u8) -> PersonKey {
    PersonKey::from_hash(format!("{n:02x}").repeat(16))
}

/// Runs `commands` against `A` from nothing, applying what each decides;
/// the state and the last command's outcome.
fn after<A: Aggregate>(commands: &[A::Command]) -> (A, Result<Vec<A::Event>, A::Error>) {
    let mut aggregate = A::default();
    let mut last = Ok(Vec::new());
    for command in commands {
        last = aggregate.decide(command);
        if let Ok(events) = &last {
            events.iter().for_each(|e| aggregate.apply(e));
        }
    }
    (aggregate, last)
}

/// A session of `subject` on `date` at a Lucheng site that serves Lucheng
/// and its neighbours.
fn session(id: &str, subject: Subject, date: NaiveDate) -> SessionRef {
    SessionRef {
        id: id.into(),
        subject,
        date,
        serves: vec![district("lucheng"), district("ouhai"), district("longwan")],
    }
}

fn score(points: u32) -> Score {
    Score::parse("score", points).unwrap()
}
