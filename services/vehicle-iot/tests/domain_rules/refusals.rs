//! Each refusal the stories in the other modules do not reach, on its own.

use super::*;

fn register() -> EbikeCommand {
    EbikeCommand::Register(registration())
}

fn case_solved(suspects: u32) -> EbikeCommand {
    EbikeCommand::RecordCaseSolved {
        suspects,
        theft_and_resale_ring: false,
    }
}

#[test]
fn nothing_but_a_registration_is_done_to_a_bike_never_registered_or_deregistered() {
    let deregistered = EbikeCommand::Deregister {
        reason: text("scrapped"),
    };
    for history in [vec![], vec![register(), deregistered.clone()]] {
        for command in [
            stolen(),
            recovered(),
            EbikeCommand::ReturnToOwner,
            deregistered.clone(),
        ] {
            let mut commands = history.clone();
            commands.push(command.clone());
            let (_, outcome) = bike_after(&commands);
            assert_eq!(
                outcome.unwrap_err(),
                EbikeRule::NotRegistered,
                "{command:?} after {history:?}"
            );
        }
    }
}

#[test]
fn a_bike_in_police_hands_is_neither_reported_stolen_nor_deregistered_until_returned() {
    let deregister = EbikeCommand::Deregister {
        reason: text("scrapped"),
    };
    for command in [stolen(), deregister] {
        let (bike, outcome) = bike_after(&[register(), stolen(), recovered(), command.clone()]);
        assert_eq!(outcome.unwrap_err(), EbikeRule::NotReturned, "{command:?}");
        assert_eq!(bike.status, EbikeStatus::Recovered);
    }
}

#[test]
fn a_solved_theft_names_at_most_a_thousand_suspects() {
    let (bike, outcome) = bike_after(&[register(), stolen(), case_solved(1001)]);
    assert_eq!(outcome.unwrap_err(), EbikeRule::TooManySuspects);
    assert!(!bike.case_solved);
    assert!(
        bike_after(&[register(), stolen(), case_solved(1000)])
            .1
            .is_ok()
    );
}

#[test]
fn a_card_is_issued_once_and_nothing_is_done_to_a_card_never_issued() {
    let issue = CardCommand::Issue {
        holder: PersonKey::from_hash("bb".repeat(16)),
        phone: fixtures::sealed(&PersonKey::from_hash("bb".repeat(16))),
        district: District::parse("district", "ouhai").unwrap(),
        valid_until: now() + Duration::days(365),
        now: now(),
    };
    let mut card = ResidentCard::default();
    for command in [
        CardCommand::MoveOut,
        CardCommand::Renew {
            valid_until: now() + Duration::days(700),
        },
    ] {
        assert_eq!(
            card.decide(&command),
            Err(CardRule::NotIssued),
            "{command:?}"
        );
    }
    card.decide(&issue)
        .unwrap()
        .iter()
        .for_each(|e| card.apply(e));
    assert_eq!(card.decide(&issue), Err(CardRule::AlreadyIssued));
}

fn room_for(capacity: u32) -> RoomCommand {
    RoomCommand::Register {
        landlord: PersonKey::from_hash("aa".repeat(16)),
        address: fixtures::sealed(&PersonKey::from_hash("aa".repeat(16))),
        district: District::parse("district", "lucheng").unwrap(),
        capacity,
    }
}

#[test]
fn a_room_is_registered_once_for_one_to_fifty_tenants() {
    let room = RentalRoom::default();
    for capacity in [0, 51] {
        assert_eq!(
            room.decide(&room_for(capacity)),
            Err(RoomRule::BadCapacity),
            "{capacity}"
        );
    }
    for capacity in [1, 50] {
        assert!(room.decide(&room_for(capacity)).is_ok(), "{capacity}");
    }
    let mut room = RentalRoom::default();
    room.decide(&room_for(2))
        .unwrap()
        .iter()
        .for_each(|e| room.apply(e));
    assert_eq!(room.decide(&room_for(2)), Err(RoomRule::AlreadyRegistered));
}

#[test]
fn no_one_checks_into_a_room_never_registered_nor_twice_into_one() {
    let tenant = PersonKey::from_hash(format!("{:032x}", 1));
    let mut room = RentalRoom::default();
    for command in [
        RoomCommand::CheckIn(tenant.clone()),
        RoomCommand::CheckOut(tenant.clone()),
    ] {
        assert_eq!(room.decide(&command), Err(RoomRule::NotRegistered));
    }
    room.decide(&room_for(5))
        .unwrap()
        .iter()
        .for_each(|e| room.apply(e));
    let check_in = RoomCommand::CheckIn(tenant);
    room.decide(&check_in)
        .unwrap()
        .iter()
        .for_each(|e| room.apply(e));
    assert_eq!(room.decide(&check_in), Err(RoomRule::AlreadyIn));
}
