//! Properties over random histories.

use super::*;
use minsheng_contracts::vehicle::EbikeRecovered;

fn any_command() -> impl Strategy<Value = EbikeCommand> {
    prop_oneof![
        Just(EbikeCommand::Register(registration())),
        Just(stolen()),
        Just(sighting()),
        Just(recovered()),
        Just(EbikeCommand::ReturnToOwner),
        (0u32..5, any::<bool>()).prop_map(|(suspects, ring)| EbikeCommand::RecordCaseSolved {
            suspects,
            theft_and_resale_ring: ring
        }),
        Just(EbikeCommand::Deregister {
            reason: text("scrapped")
        }),
        Just(EbikeCommand::RecordPresentation {
            presented_by: PersonKey::from_hash("1e".repeat(16)),
            on_tag: OTHER_TAG.into(),
            district: District::parse("district", "ouhai").unwrap(),
            presented_at: now(),
        }),
    ]
}

/// The bike's life as the bureau describes it, written apart from
/// `decide`: the status an event may follow, and the one it leads to.
fn lifecycle(before: EbikeStatus, event: &VehicleEvent) -> Option<EbikeStatus> {
    use EbikeStatus as S;
    use VehicleEvent as E;
    match (before, event) {
        (S::Unregistered | S::Deregistered, E::EbikeRegistered(_)) => Some(S::Registered),
        (S::Registered, E::EbikeReportedStolen(_)) => Some(S::Stolen),
        (S::Stolen, E::StolenEbikeSighted(_) | E::StolenEbikePresented(_)) => Some(S::Stolen),
        (S::Stolen, E::EbikeRecovered(_)) => Some(S::Recovered),
        (S::Recovered, E::EbikeReturnedToOwner {}) => Some(S::Registered),
        (S::Registered, E::EbikeDeregistered { .. }) => Some(S::Deregistered),
        (S::Registered | S::Stolen | S::Recovered, E::EbikeCaseSolved(_)) => Some(before),
        _ => None,
    }
}

proptest! {
    /// Whatever officers and readers do, a bike's history stays coherent:
    /// every event is one the bike's life allows from where it was and
    /// leads where that life says; hits are counted one per sighting and
    /// only while stolen, a new registration starting from none; a case is
    /// solved at most once per theft; and the desk's stolen list, and the
    /// stolen numbers it knows, agree with the bike.
    #[test]
    fn any_sequence_of_commands_keeps_a_bike_coherent(commands in prop::collection::vec(any_command(), 0..40)) {
        let mut bike = Ebike::default();
        let mut desk = desk();
        desk.apply(TAG, &VehicleEvent::EbikeRecovered(EbikeRecovered { officer: "x".into(), place: text("reset") }));
        let tag = minsheng_vehicle_iot::domain::values::TagId::parse("tag", TAG).unwrap();
        for command in &commands {
            if let Ok(events) = bike.decide(command) {
                for event in &events {
                    let before = bike.clone();
                    bike.apply(event);
                    desk.apply(TAG, event);
                    let expected = lifecycle(before.status, event);
                    prop_assert_eq!(Some(bike.status), expected, "{:?} after {:?}", event, before.status);
                    let hits = match event {
                        VehicleEvent::StolenEbikeSighted(_) => before.hits + 1,
                        VehicleEvent::EbikeRegistered(_) => 0,
                        _ => before.hits,
                    };
                    prop_assert_eq!(bike.hits, hits);
                    if matches!(event, VehicleEvent::EbikeCaseSolved(_)) {
                        prop_assert!(!before.case_solved, "solved twice");
                    }
                }
            }
            let stolen = bike.status == EbikeStatus::Stolen;
            prop_assert_eq!(desk.is_stolen(tag), stolen);
            prop_assert_eq!(
                desk.stolen_bike_numbered("FRAME123456", "MOTOR654321"),
                stolen.then_some(tag)
            );
        }
    }
}
