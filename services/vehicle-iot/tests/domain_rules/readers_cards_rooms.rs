//! Readers, residence cards and rental rooms.

use super::*;

#[test]
fn readers_are_installed_once_and_not_brought_back_once_retired() {
    let mut reader = Reader::default();
    let install = ReaderCommand::Install {
        location: Location::parse(28.0, 120.65).unwrap(),
        district: District::parse("district", "lucheng").unwrap(),
    };
    assert_eq!(
        reader.decide(&ReaderCommand::Retire),
        Err(ReaderRule::NotInstalled)
    );
    reader
        .decide(&install)
        .unwrap()
        .iter()
        .for_each(|e| reader.apply(e));
    assert_eq!(reader.decide(&install), Err(ReaderRule::AlreadyInstalled));
    reader
        .decide(&ReaderCommand::Retire)
        .unwrap()
        .iter()
        .for_each(|e| reader.apply(e));
    assert_eq!(reader.decide(&install), Err(ReaderRule::Retired));
}

#[test]
fn a_room_holds_at_most_its_declared_capacity() {
    let mut room = RentalRoom::default();
    let register = RoomCommand::Register {
        landlord: PersonKey::from_hash("aa".repeat(16)),
        address: fixtures::sealed(&PersonKey::from_hash("aa".repeat(16))),
        district: District::parse("district", "lucheng").unwrap(),
        capacity: 2,
    };
    room.decide(&register)
        .unwrap()
        .iter()
        .for_each(|e| room.apply(e));
    for n in 0..2 {
        let tenant = PersonKey::from_hash(format!("{n:032x}"));
        room.decide(&RoomCommand::CheckIn(tenant))
            .unwrap()
            .iter()
            .for_each(|e| room.apply(e));
    }
    let third = PersonKey::from_hash(format!("{:032x}", 3));
    assert_eq!(
        room.decide(&RoomCommand::CheckIn(third.clone())),
        Err(RoomRule::Full)
    );
    assert_eq!(
        room.decide(&RoomCommand::CheckOut(third)),
        Err(RoomRule::NotIn)
    );
    let first = PersonKey::from_hash(format!("{:032x}", 0));
    room.decide(&RoomCommand::CheckOut(first))
        .unwrap()
        .iter()
        .for_each(|e| room.apply(e));
    let third = PersonKey::from_hash(format!("{:032x}", 3));
    assert!(
        room.decide(&RoomCommand::CheckIn(third)).is_ok(),
        "room again"
    );
}

#[test]
fn a_card_is_renewed_only_to_a_later_date_and_not_after_moving_out() {
    let mut card = ResidentCard::default();
    let issue = CardCommand::Issue {
        holder: PersonKey::from_hash("bb".repeat(16)),
        phone: fixtures::sealed(&PersonKey::from_hash("bb".repeat(16))),
        district: District::parse("district", "ouhai").unwrap(),
        valid_until: now() + Duration::days(365),
        now: now(),
    };
    card.decide(&issue)
        .unwrap()
        .iter()
        .for_each(|e| card.apply(e));
    let earlier = CardCommand::Renew {
        valid_until: now() + Duration::days(100),
    };
    assert_eq!(card.decide(&earlier), Err(CardRule::ValidityNotLater));
    card.decide(&CardCommand::MoveOut)
        .unwrap()
        .iter()
        .for_each(|e| card.apply(e));
    let later = CardCommand::Renew {
        valid_until: now() + Duration::days(700),
    };
    assert_eq!(card.decide(&later), Err(CardRule::MovedOut));
}
