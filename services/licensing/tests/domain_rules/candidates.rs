//! A candidate's way to a licence.

use super::*;

fn enrol(class: VehicleClass) -> CandidateCommand {
    CandidateCommand::Enrol {
        class,
        district: district("lucheng"),
    }
}

fn id(subject: Subject, date: NaiveDate) -> String {
    format!("S{}-{date}", subject.number())
}

/// Books `subject` for the session on `date`, asked the day before.
fn book(subject: Subject, date: NaiveDate) -> CandidateCommand {
    CandidateCommand::Book {
        session: session(&id(subject, date), subject, date),
        today: date - Duration::days(1),
        policy: ExamPolicy::default(),
    }
}

fn scored(subject: Subject, date: NaiveDate, first: u32, make_up: Option<u32>) -> CandidateCommand {
    CandidateCommand::RecordResult {
        session: id(subject, date),
        subject,
        outcome: Outcome::Scored {
            first: score(first),
            make_up: make_up.map(score),
        },
        on: date,
        policy: ExamPolicy::default(),
    }
}

/// Sits `subject` on `date` and passes at the first attempt.
fn passes(subject: Subject, date: NaiveDate) -> [CandidateCommand; 2] {
    [book(subject, date), scored(subject, date, 95, None)]
}

/// Sits `subject` on `date` and fails the attempt and the make-up.
fn fails(subject: Subject, date: NaiveDate) -> [CandidateCommand; 2] {
    [book(subject, date), scored(subject, date, 60, Some(70))]
}

/// Enrolled for a small manual car, theory passed on day 5.
fn with_permit() -> Vec<CandidateCommand> {
    let mut commands = vec![enrol(VehicleClass::SmallManual)];
    commands.extend(passes(Subject::Theory, day(5)));
    commands
}

fn then(mut given: Vec<CandidateCommand>, more: &[CandidateCommand]) -> Vec<CandidateCommand> {
    given.extend_from_slice(more);
    given
}

#[test]
fn passing_the_theory_issues_a_learner_permit_for_three_years() {
    let (candidate, outcome) = after::<Candidate>(&with_permit());
    let permit = candidate.permit.unwrap();
    assert_eq!(
        (permit.issued_on, permit.valid_until),
        (day(5), NaiveDate::from_ymd_opt(2018, 3, 6).unwrap())
    );
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            LicensingEvent::ExamPassed { .. },
            LicensingEvent::LearnerPermitIssued { .. }
        ]
    ));
}

#[test]
fn a_candidate_books_at_a_site_near_home_only() {
    let far = CandidateCommand::Book {
        session: SessionRef {
            serves: vec![district("cangnan"), district("pingyang")],
            ..session("S1-far", Subject::Theory, day(5))
        },
        today: day(1),
        policy: ExamPolicy::default(),
    };
    let (_, outcome) = after::<Candidate>(&[enrol(VehicleClass::SmallManual), far]);
    assert_eq!(outcome.unwrap_err(), CandidateRule::NotNearby);
}

#[test]
fn field_skills_wait_ten_days_after_the_permit_and_twenty_for_large_vehicles() {
    let (_, early) =
        after::<Candidate>(&then(with_permit(), &[book(Subject::FieldSkills, day(14))]));
    assert_eq!(
        early.unwrap_err(),
        CandidateRule::TooEarly { earliest: day(15) }
    );
    let (_, on_time) =
        after::<Candidate>(&then(with_permit(), &[book(Subject::FieldSkills, day(15))]));
    assert!(on_time.is_ok());

    let mut large = vec![enrol(VehicleClass::Large)];
    large.extend(passes(Subject::Theory, day(5)));
    let (_, early) = after::<Candidate>(&then(large, &[book(Subject::FieldSkills, day(15))]));
    assert_eq!(
        early.unwrap_err(),
        CandidateRule::TooEarly { earliest: day(25) }
    );
}

#[test]
fn road_driving_waits_thirty_days_after_the_permit_and_twenty_for_an_automatic() {
    let (_, early) =
        after::<Candidate>(&then(with_permit(), &[book(Subject::RoadDriving, day(34))]));
    assert_eq!(
        early.unwrap_err(),
        CandidateRule::TooEarly { earliest: day(35) }
    );
    let mut automatic = vec![enrol(VehicleClass::SmallAutomatic)];
    automatic.extend(passes(Subject::Theory, day(5)));
    let (_, outcome) = after::<Candidate>(&then(automatic, &[book(Subject::RoadDriving, day(25))]));
    assert!(outcome.is_ok());
}

#[test]
fn field_skills_need_a_learner_permit() {
    let (_, outcome) = after::<Candidate>(&[
        enrol(VehicleClass::SmallManual),
        book(Subject::FieldSkills, day(30)),
    ]);
    assert_eq!(outcome.unwrap_err(), CandidateRule::NeedsPermit);
}

#[test]
fn a_candidate_holds_one_booking_of_a_subject_at_a_time() {
    let (_, outcome) = after::<Candidate>(&then(
        with_permit(),
        &[
            book(Subject::FieldSkills, day(20)),
            book(Subject::FieldSkills, day(21)),
        ],
    ));
    assert_eq!(outcome.unwrap_err(), CandidateRule::AlreadyBooked);
}

#[test]
fn a_booking_is_cancelled_up_to_the_day_before() {
    let cancel = |today| CandidateCommand::Cancel {
        subject: Subject::FieldSkills,
        today,
    };
    let booked = then(with_permit(), &[book(Subject::FieldSkills, day(20))]);
    let (candidate, outcome) = after::<Candidate>(&then(booked.clone(), &[cancel(day(19))]));
    assert!(outcome.is_ok());
    assert!(candidate.booked.is_empty());
    let (_, outcome) = after::<Candidate>(&then(booked, &[cancel(day(20))]));
    assert_eq!(outcome.unwrap_err(), CandidateRule::TooLateToCancel);
}

#[test]
fn a_candidate_who_failed_the_make_up_cannot_book_for_ten_days() {
    let failed = then(with_permit(), &fails(Subject::FieldSkills, day(20)));
    let (_, outcome) = after::<Candidate>(&then(
        failed.clone(),
        &[book(Subject::FieldSkills, day(29))],
    ));
    assert_eq!(
        outcome.unwrap_err(),
        CandidateRule::MustWait { from: day(30) }
    );
    let (_, outcome) = after::<Candidate>(&then(failed, &[book(Subject::FieldSkills, day(30))]));
    assert!(outcome.is_ok());
}

#[test]
fn a_candidate_who_passes_the_make_up_passes() {
    let (candidate, _) = after::<Candidate>(&then(
        with_permit(),
        &[
            book(Subject::FieldSkills, day(20)),
            scored(Subject::FieldSkills, day(20), 70, Some(85)),
        ],
    ));
    assert!(candidate.has_passed(Subject::FieldSkills));
}

#[test]
fn a_make_up_follows_only_a_failed_first_attempt() {
    let (_, outcome) = after::<Candidate>(&then(
        with_permit(),
        &[
            book(Subject::FieldSkills, day(20)),
            scored(Subject::FieldSkills, day(20), 85, Some(90)),
        ],
    ));
    assert_eq!(outcome.unwrap_err(), CandidateRule::MakeUpAfterAPass);
}

#[test]
fn a_no_show_is_a_failed_booking() {
    let no_show = CandidateCommand::RecordResult {
        session: id(Subject::FieldSkills, day(20)),
        subject: Subject::FieldSkills,
        outcome: Outcome::NoShow,
        on: day(20),
        policy: ExamPolicy::default(),
    };
    let (candidate, outcome) = after::<Candidate>(&then(
        with_permit(),
        &[book(Subject::FieldSkills, day(20)), no_show],
    ));
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [LicensingEvent::ExamFailed { scores, .. }] if scores.is_empty()
    ));
    assert_eq!(candidate.attempts[&Subject::FieldSkills], 1);
}

#[test]
fn a_result_is_for_the_session_booked() {
    let (_, outcome) = after::<Candidate>(&then(
        with_permit(),
        &[
            book(Subject::FieldSkills, day(20)),
            scored(Subject::FieldSkills, day(21), 95, None),
        ],
    ));
    assert_eq!(outcome.unwrap_err(), CandidateRule::AnotherSession);
}

#[test]
fn the_fifth_failed_field_skills_booking_voids_every_pass_the_theorys_too() {
    let mut history = with_permit();
    for n in 0..4 {
        history.extend(fails(Subject::FieldSkills, day(20 + 10 * n)));
    }
    let (candidate, _) = after::<Candidate>(&history);
    assert_eq!(candidate.attempts[&Subject::FieldSkills], 4);
    history.extend(fails(Subject::FieldSkills, day(60)));
    let (candidate, outcome) = after::<Candidate>(&history);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            LicensingEvent::ExamFailed { .. },
            LicensingEvent::PassesVoided { .. }
        ]
    ));
    assert_eq!(candidate.permit, None);
    assert!(candidate.passed.is_empty());
    let (_, outcome) = after::<Candidate>(&then(history, &[book(Subject::FieldSkills, day(80))]));
    assert_eq!(outcome.unwrap_err(), CandidateRule::NeedsPermit);
}

#[test]
fn the_licence_is_issued_the_day_of_the_last_pass() {
    let mut history = with_permit();
    history.extend(passes(Subject::FieldSkills, day(20)));
    history.extend(passes(Subject::RoadDriving, day(40)));
    let (candidate, _) = after::<Candidate>(&history);
    assert_eq!(candidate.licensed_on, None, "one subject to go");
    history.extend(passes(Subject::SafetyAndCivility, day(41)));
    let (candidate, outcome) = after::<Candidate>(&history);
    assert_eq!(candidate.licensed_on, Some(day(41)));
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            LicensingEvent::ExamPassed { .. },
            LicensingEvent::LicenceIssued {
                class: VehicleClass::SmallManual,
                ..
            }
        ]
    ));
    let (_, outcome) = after::<Candidate>(&then(history, &[book(Subject::RoadDriving, day(60))]));
    assert_eq!(outcome.unwrap_err(), CandidateRule::AlreadyLicensed);
}

#[test]
fn passes_lapse_with_the_permit_and_the_theory_starts_a_new_one() {
    let mut history = with_permit();
    history.extend(passes(Subject::FieldSkills, day(20)));
    let after_the_permit = NaiveDate::from_ymd_opt(2018, 3, 10).unwrap();
    let (_, outcome) = after::<Candidate>(&then(
        history.clone(),
        &[book(Subject::RoadDriving, after_the_permit)],
    ));
    assert_eq!(
        outcome.unwrap_err(),
        CandidateRule::PermitEnds {
            until: NaiveDate::from_ymd_opt(2018, 3, 6).unwrap()
        }
    );
    let (_, outcome) =
        after::<Candidate>(&then(history.clone(), &[book(Subject::Theory, day(30))]));
    assert_eq!(
        outcome.unwrap_err(),
        CandidateRule::AlreadyPassed,
        "while the permit runs"
    );
    history.extend(passes(Subject::Theory, after_the_permit));
    let (candidate, _) = after::<Candidate>(&history);
    assert_eq!(candidate.permit.unwrap().issued_on, after_the_permit);
    assert!(
        !candidate.has_passed(Subject::FieldSkills),
        "field skills passed under the old permit lapsed"
    );
}

#[test]
fn a_session_full_gives_the_booking_back() {
    let (candidate, outcome) = after::<Candidate>(&then(
        with_permit(),
        &[
            book(Subject::FieldSkills, day(20)),
            CandidateCommand::Release {
                subject: Subject::FieldSkills,
                reason: Release::SessionFull,
            },
        ],
    ));
    assert!(outcome.is_ok());
    assert!(candidate.booked.is_empty());
    assert!(
        candidate.attempts.is_empty(),
        "a booking given back is no attempt"
    );
}

#[test]
fn a_limit_lowered_by_policy_stops_a_candidate_already_past_it() {
    let mut history = with_permit();
    for n in 0..3 {
        history.extend(fails(Subject::RoadDriving, day(40 + 10 * n)));
    }
    let lowered = CandidateCommand::Book {
        session: session("S3-later", Subject::RoadDriving, day(90)),
        today: day(80),
        policy: ExamPolicy {
            limited_bookings: 3,
            ..ExamPolicy::default()
        },
    };
    let (_, outcome) = after::<Candidate>(&then(history, &[lowered]));
    assert_eq!(
        outcome.unwrap_err(),
        CandidateRule::BookingLimitReached { limit: 3 }
    );
}
