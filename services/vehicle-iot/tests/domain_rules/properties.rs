//! Properties over random histories.

use super::*;

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

proptest! {
    /// Whatever officers and readers do, a bike's history stays coherent:
    /// its version only grows, it is never stolen and recovered at once, hits
    /// happen only while stolen, and the desk's stolen list, and the stolen
    /// numbers it knows, agree with the bike.
    #[test]
    fn any_sequence_of_commands_keeps_a_bike_coherent(commands in prop::collection::vec(any_command(), 0..40)) {
        let mut bike = Ebike::default();
        let mut desk = desk();
        desk.apply(TAG, &VehicleEvent::EbikeRecovered { officer: "x".into(), place: text("reset") });
        let mut version = 0u64;
        let tag = minsheng_vehicle_iot::domain::values::TagId::parse("tag", TAG).unwrap();
        for command in &commands {
            let before = bike.status;
            if let Ok(events) = bike.decide(command) {
                for event in &events {
                    if matches!(event, VehicleEvent::StolenEbikeSighted { .. }) {
                        prop_assert_eq!(before, EbikeStatus::Stolen);
                    }
                    bike.apply(event);
                    desk.apply(TAG, event);
                    let next = version + 1;
                    prop_assert!(next > version);
                    version = next;
                }
            }
            let stolen = bike.status == EbikeStatus::Stolen;
            prop_assert_eq!(desk.is_stolen(tag), stolen);
            prop_assert_eq!(
                desk.stolen_bike_numbered("FRAME123456", "MOTOR654321"),
                stolen.then_some(tag)
            );
            prop_assert!(!(stolen && bike.status == EbikeStatus::Recovered));
        }
    }
}
