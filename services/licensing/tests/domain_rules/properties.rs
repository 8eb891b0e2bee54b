//! Over random histories: a session never holds more candidates than its
//! seats; a candidate never holds more than one booking of a subject, is
//! never examined more than five times in field skills or road driving
//! under one permit, and is licensed only with every subject passed.

use proptest::prelude::*;

use minsheng_licensing::domain::driver::{Driver, DriverCommand, StudyPolicy};

use super::*;

fn any_session_command() -> impl Strategy<Value = SessionCommand> {
    prop_oneof![
        (0u8..12).prop_map(|n| SessionCommand::TakeSeat {
            candidate: person(n),
            today: day(5),
        }),
        (0u8..12).prop_map(|n| SessionCommand::ReleaseSeat {
            candidate: person(n)
        }),
    ]
}

fn any_subject() -> impl Strategy<Value = Subject> {
    prop::sample::select(Subject::ALL.to_vec())
}

fn any_candidate_command() -> impl Strategy<Value = CandidateCommand> {
    let book = (any_subject(), 1i64..2000, prop::bool::ANY).prop_map(|(subject, d, near)| {
        let mut session = session(&format!("S{}", d % 7), subject, day(d));
        if !near {
            session.serves = vec![district("taishun")];
        }
        CandidateCommand::Book {
            session,
            today: day(d - 1),
            policy: ExamPolicy::default(),
        }
    });
    let result = (
        any_subject(),
        0i64..7,
        0u32..=100,
        prop::option::of(0u32..=100),
        1i64..2000,
    )
        .prop_map(
            |(subject, s, first, make_up, on)| CandidateCommand::RecordResult {
                session: format!("S{s}"),
                subject,
                outcome: Outcome::Scored {
                    first: score(first),
                    make_up: make_up.map(score),
                },
                on: day(on),
                policy: ExamPolicy::default(),
            },
        );
    let cancel = (any_subject(), 0i64..2000).prop_map(|(subject, d)| CandidateCommand::Cancel {
        subject,
        today: day(d),
    });
    prop_oneof![book, result, cancel]
}

fn any_driver_command() -> impl Strategy<Value = DriverCommand> {
    prop_oneof![
        (0u8..20, 0u8..=12).prop_map(|(v, points)| DriverCommand::AddPoints {
            violation: format!("V{v}"),
            points,
            on: day(30),
        }),
        (0u8..20).prop_map(|v| DriverCommand::SettleFine {
            violation: format!("V{v}")
        }),
        (0u32..2).prop_map(|unhandled| DriverCommand::Study {
            on: day(40),
            unhandled,
            policy: StudyPolicy::default(),
        }),
        (0i64..1500).prop_map(|d| DriverCommand::EndCycle { on: day(d) }),
        Just(DriverCommand::PassReExam { on: day(50) }),
    ]
}

proptest! {
    #[test]
    fn a_drivers_points_stay_within_0_to_12_and_study_within_its_cap(
        commands in prop::collection::vec(any_driver_command(), 0..80)
    ) {
        let mut driver = Driver::default();
        let licensed = DriverCommand::StartCycles { on: day(0) };
        for command in std::iter::once(&licensed).chain(&commands) {
            if let Ok(events) = driver.decide(command) {
                events.iter().for_each(|e| driver.apply(e));
            }
            prop_assert!(driver.points <= 12);
            prop_assert!(driver.reduced <= StudyPolicy::default().cap_per_cycle);
            prop_assert!(!driver.withheld || driver.points == 12, "withheld at 12 only");
        }
    }

    #[test]
    fn a_session_is_never_oversold(commands in prop::collection::vec(any_session_command(), 0..60)) {
        let publish = SessionCommand::Publish {
            published: Published {
                subject: Subject::RoadDriving,
                date: day(20),
                site: "WZ-LC-01".into(),
                serves: vec![district("lucheng")],
                capacity: 5,
                examiner: "examiner-3".into(),
            },
            today: day(0),
            policy: ExamPolicy::default(),
        };
        let mut session = Session::default();
        for command in std::iter::once(&publish).chain(&commands) {
            if let Ok(events) = session.decide(command) {
                events.iter().for_each(|e| session.apply(e));
            }
            prop_assert!(session.seated.len() <= 5);
        }
    }

    #[test]
    fn a_candidates_bookings_attempts_and_licence_keep_the_rules(
        commands in prop::collection::vec(any_candidate_command(), 0..120)
    ) {
        let mut candidate = Candidate::default();
        let enrol = CandidateCommand::Enrol {
            class: VehicleClass::SmallManual,
            district: district("lucheng"),
        };
        for command in std::iter::once(&enrol).chain(&commands) {
            if let Ok(events) = candidate.decide(command) {
                events.iter().for_each(|e| candidate.apply(e));
            }
            for subject in Subject::ALL {
                prop_assert!(candidate.attempts.get(&subject).copied().unwrap_or(0) <= 5);
            }
            if candidate.licensed_on.is_some() {
                prop_assert!(Subject::ALL.iter().all(|s| candidate.has_passed(*s)));
            }
            if !candidate.passed.is_empty() {
                prop_assert!(candidate.has_passed(Subject::Theory) && candidate.permit.is_some());
            }
        }
    }
}
