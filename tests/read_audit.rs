//! Who read what, through a real `minsheng up` (its read audit in
//! `events.audit.db` beside the events): officers read a bike, and the
//! hits of a stolen one; a data-protection officer exports a person; an
//! operator then lists the reads by actor and by person, with the purpose
//! each reader gave, and the list outlives a restart. A purpose that is not
//! printable text is refused, naming `x-purpose`, and nothing is read.

#![allow(clippy::unwrap_used)]

mod support;

use minsheng_proto::privacy::v1 as privacy;
use minsheng_proto::vehicle::v1 as vehicle;
use minsheng_runtime::auth::TokenKeys;
use support::binary::{channel, minsheng, start};
use support::city::{now, registration, resident_id, tag};
use tonic::transport::Channel;
use tonic::{Code, Request};

const OWNER: u32 = 7;

fn as_someone<T>(keys: &TokenKeys, subject: &str, role: &str, message: T) -> Request<T> {
    keys.request_as(subject, role, None, message).unwrap()
}

fn with_purpose<T>(mut request: Request<T>, purpose: &str) -> Request<T> {
    request
        .metadata_mut()
        .insert("x-purpose", purpose.parse().unwrap());
    request
}

fn bike(n: u32) -> vehicle::GetEbikeRequest {
    vehicle::GetEbikeRequest { tag_id: tag(n) }
}

/// Bike 1, owned by person [`OWNER`], stolen and seen by a reader.
async fn a_stolen_bike_seen(ch: &Channel, keys: &TokenKeys) {
    let mut ebikes = vehicle::ebikes_client::EbikesClient::new(ch.clone());
    let mut request = registration(1, "lucheng");
    request.owner_resident_id = resident_id(OWNER);
    ebikes
        .register_ebike(as_someone(keys, "clerk-1", "registration-clerk", request))
        .await
        .unwrap();
    ebikes
        .report_stolen(as_someone(
            keys,
            "officer-zhao",
            "officer",
            vehicle::ReportStolenRequest {
                tag_id: tag(1),
                case_id: "WZ-2015-0007".into(),
                stolen_at: Some(now()),
                place: "a car park".into(),
                owner_resident_id: String::new(),
            },
        ))
        .await
        .unwrap();
    vehicle::readers_client::ReadersClient::new(ch.clone())
        .install_reader(as_someone(
            keys,
            "iot-admin-1",
            "iot-admin",
            vehicle::InstallReaderRequest {
                reader_id: "RD-LC-0001".into(),
                latitude: 28.02,
                longitude: 120.6,
                district: "lucheng".into(),
            },
        ))
        .await
        .unwrap();
    // The reader's desk learns of the theft from the events: the sighting
    // is a hit once it has.
    minsheng_testkit::eventually("the sighting is a hit", async || {
        vehicle::sightings_client::SightingsClient::new(ch.clone())
            .record_sighting_batch(as_someone(
                keys,
                "reader-1",
                "iot-reader",
                vehicle::SightingBatch {
                    sightings: vec![vehicle::Sighting {
                        tag_id: tag(1),
                        reader_id: "RD-LC-0001".into(),
                        seen_at: Some(now()),
                    }],
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .hits
            > 0
    })
    .await;
}

async fn hits_listed(ch: &Channel, keys: &TokenKeys, officer: &str) -> usize {
    let day = 86_400;
    vehicle::sightings_client::SightingsClient::new(ch.clone())
        .list_hits(as_someone(
            keys,
            officer,
            "officer",
            vehicle::ListHitsRequest {
                district: String::new(),
                from: Some(prost_types::Timestamp {
                    seconds: now().seconds - day,
                    nanos: 0,
                }),
                to: Some(prost_types::Timestamp {
                    seconds: now().seconds + day,
                    nanos: 0,
                }),
                limit: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .hits
        .len()
}

async fn reads(
    ch: &Channel,
    keys: &TokenKeys,
    request: privacy::ListReadsRequest,
) -> Result<privacy::Reads, tonic::Status> {
    privacy::privacy_client::PrivacyClient::new(ch.clone())
        .list_reads(as_someone(keys, "ops-1", "operator", request))
        .await
        .map(tonic::Response::into_inner)
}

/// (who, what, id, purpose) of each read listed.
fn summary(reads: &privacy::Reads) -> Vec<(String, String, String, String)> {
    reads
        .reads
        .iter()
        .map(|r| {
            (
                r.actor.clone(),
                r.what.clone(),
                r.id.clone(),
                r.purpose.clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_read_a_persons_data_is_listed_by_actor_and_by_person_and_outlives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(minsheng(&["up"], dir.path()));
    let keys = TokenKeys::load(&dir.path().join("jwt.key")).unwrap();
    let ch = channel(running.grpc).await;
    a_stolen_bike_seen(&ch, &keys).await;

    let mut ebikes = vehicle::ebikes_client::EbikesClient::new(ch.clone());
    let refused = ebikes
        .get_ebike(with_purpose(
            as_someone(&keys, "officer-qian", "officer", bike(1)),
            "looking\tround",
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("x-purpose"), "{refused:?}");
    ebikes
        .get_ebike(with_purpose(
            as_someone(&keys, "officer-zhao", "officer", bike(1)),
            "case WZ-2015-0007",
        ))
        .await
        .unwrap();
    assert_eq!(hits_listed(&ch, &keys, "officer-sun").await, 1);
    privacy::privacy_client::PrivacyClient::new(ch.clone())
        .export_personal_data(as_someone(
            &keys,
            "dpo-1",
            "data-protection-officer",
            privacy::ExportPersonalDataRequest {
                resident_id: resident_id(OWNER),
            },
        ))
        .await
        .unwrap();

    let by_zhao = privacy::ListReadsRequest {
        actor: "officer-zhao".into(),
        ..Default::default()
    };
    let of_owner = privacy::ListReadsRequest {
        resident_id: resident_id(OWNER),
        ..Default::default()
    };
    let listed = reads(&ch, &keys, by_zhao.clone()).await.unwrap();
    assert_eq!(
        summary(&listed),
        [(
            "officer-zhao".into(),
            "ebike".into(),
            tag(1),
            "case WZ-2015-0007".into()
        )]
    );
    assert_eq!(listed.reads[0].rpc, "minsheng.vehicle.v1.Ebikes/GetEbike");
    let owner_key = listed.reads[0].person_key.clone();
    assert_eq!(owner_key.len(), 32, "the owner, by person key");

    let of_the_owner = reads(&ch, &keys, of_owner.clone()).await.unwrap();
    let whats: Vec<(String, String)> = summary(&of_the_owner)
        .into_iter()
        .map(|(who, what, _, _)| (who, what))
        .collect();
    assert_eq!(
        whats,
        [
            ("officer-zhao".to_owned(), "ebike".to_owned()),
            ("officer-sun".to_owned(), "hit".to_owned()),
            ("dpo-1".to_owned(), "subject-access".to_owned()),
        ],
        "the refused read is not among them"
    );
    let by_key = reads(
        &ch,
        &keys,
        privacy::ListReadsRequest {
            person_key: owner_key.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_key, of_the_owner);
    let page = reads(
        &ch,
        &keys,
        privacy::ListReadsRequest {
            limit: 1,
            ..of_owner.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.reads.len(), 1);
    assert_ne!(page.next_after, 0, "more to come");

    let both = reads(
        &ch,
        &keys,
        privacy::ListReadsRequest {
            actor: "officer-zhao".into(),
            resident_id: resident_id(OWNER),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
    assert!(both.message().contains("resident_id"), "{both:?}");

    running.terminate();
    let running = start(minsheng(&["up"], dir.path()));
    let ch = channel(running.grpc).await;
    assert_eq!(
        reads(&ch, &keys, of_owner).await.unwrap(),
        of_the_owner,
        "kept across a restart"
    );
    running.terminate();
}
