//! Everything the licensing context records. Event types are
//! `licensing.<Variant>`; payloads hold person keys, never resident IDs.
//! None of these is published yet (the KPI projection will read some:
//! they move to `crates/contracts` then).

use chrono::{DateTime, NaiveDate, Utc};
use minsheng_eventstore::DomainEvent;
use serde::{Deserialize, Serialize};

use super::values::{District, PersonKey, Stars, Subject, Text, VehicleClass};
use super::violation::{Offence, ServiceChannel, Witness};

/// Why a booking was given back without the candidate asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Release {
    /// Every seat was taken before the candidate's.
    SessionFull,
    /// A clerk closed the session (weather, a fault).
    SessionClosed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum LicensingEvent {
    // Sessions: stream `licensing.session.<id>`.
    SessionPublished {
        subject: Subject,
        date: NaiveDate,
        site: String,
        /// The districts whose candidates may book it: the site's own and
        /// its neighbours, as the site was authorised.
        serves: Vec<District>,
        capacity: u32,
        examiner: String,
    },
    SeatTaken {
        candidate: PersonKey,
    },
    SeatReleased {
        candidate: PersonKey,
    },
    SessionClosed {
        reason: Text,
    },
    // Candidates: stream `licensing.candidate.<person key>`.
    CandidateEnrolled {
        class: VehicleClass,
        district: District,
    },
    ExamBooked {
        subject: Subject,
        session: String,
        date: NaiveDate,
    },
    BookingCancelled {
        subject: Subject,
    },
    BookingReleased {
        subject: Subject,
        reason: Release,
    },
    ExamPassed {
        subject: Subject,
        session: String,
        on: NaiveDate,
        scores: Vec<u8>,
    },
    ExamFailed {
        subject: Subject,
        session: String,
        on: NaiveDate,
        /// Empty for a no-show.
        scores: Vec<u8>,
        /// The subject may not be booked for a session before this day.
        not_before: NaiveDate,
    },
    LearnerPermitIssued {
        issued_on: NaiveDate,
        valid_until: NaiveDate,
    },
    /// The last booking of field skills or road driving within a permit
    /// failed: every pass of the permit, the theory's too, is void.
    PassesVoided {
        on: NaiveDate,
    },
    /// Issued the day of the last pass; its number is the holder's
    /// resident ID, kept here as their person key (the stream's).
    LicenceIssued {
        on: NaiveDate,
        class: VehicleClass,
    },
    // Violations: stream `licensing.violation.<id>`.
    ViolationRecorded {
        /// A vehicle's plate: not personal by itself.
        plate: String,
        place: Text,
        on: NaiveDate,
        offence: Offence,
        witness: Witness,
    },
    ViolationHandled {
        driver: PersonKey,
        channel: ServiceChannel,
        decided_on: NaiveDate,
        /// The fine is due by this day; a late fee runs from the next.
        due: NaiveDate,
        points: u8,
    },
    FineOverdue {
        since: NaiveDate,
    },
    FinePaid {
        fine_fen: u64,
        late_fee_fen: u64,
        on: NaiveDate,
    },
    // Drivers' points: stream `licensing.driver.<person key>`.
    DriverCyclesStarted {
        on: NaiveDate,
    },
    PointsAdded {
        violation: String,
        points: u8,
        /// The cycle's points after it, at most 12.
        total: u8,
    },
    LicenceWithheld {
        on: NaiveDate,
    },
    UnpaidFineSettled {
        violation: String,
    },
    PointsReducedByStudy {
        by: u8,
        total: u8,
    },
    CycleEnded {
        next_start: NaiveDate,
        /// The points that stay: those of unpaid fines (all of them at 12).
        carried: u8,
    },
    LicenceReinstated {
        on: NaiveDate,
    },
    // 114 move-car: stream `licensing.movecar.<id>`.
    MoveCarRequested {
        /// The keyed hash of the caller's number: never the number.
        caller: PersonKey,
        owner: PersonKey,
        plate: String,
        place: Text,
        at: DateTime<Utc>,
        answer_by: DateTime<Utc>,
    },
    CarMoved {
        at: DateTime<Utc>,
    },
    /// No answer in time: passed to the traffic police (122).
    MoveCarEscalated {
        at: DateTime<Utc>,
    },
    MoveCarRated {
        stars: Stars,
    },
    MoveCarMarkedMalicious {
        caller: PersonKey,
    },
    // Callers of 114: stream `licensing.caller.<key>`.
    MaliciousRequestRecorded {
        at: DateTime<Utc>,
    },
    CallerBarred {
        until: DateTime<Utc>,
    },
}

impl DomainEvent for LicensingEvent {
    const CONTEXT: &'static str = "licensing";
}
