//! Forgetting a person and exporting what is held about them, through
//! the real services in one process on the embedded store (vehicle-iot,
//! fraud, kpis and privacy; one vault beside the events): a forgotten
//! owner's bike keeps its history and figures while the phone reads as
//! forgotten; a person whose data a case holds cannot be forgotten, and
//! the refusal is recorded with the officer; an export returns what the
//! person's events hold, opened; a forgotten owner's stolen bike still
//! raises a hit, which a replay of the events keeps.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use minsheng_eventstore::{EventStore, StreamName};
use minsheng_proto::privacy::v1 as privacy;
use minsheng_proto::vehicle::v1 as vehicle;
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::target::Target;
use support::city::{as_role, now, registration, resident_id as resident, tag};
use tonic::Code;
use tonic::transport::Channel;

const OFFICER: &str = "data-protection-officer";

fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the privacy test's signing key..")
}

fn person_keys() -> PersonKeys {
    PersonKeys::from_secret(b"the privacy test's person key...")
}

struct Mesh {
    process: LocalProcess,
    store: Arc<dyn EventStore>,
    channel: Channel,
}

async fn spawn(dir: &std::path::Path) -> Mesh {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    let store = minsheng_runtime::store::open(&url, 1).await.unwrap();
    let master =
        minsheng_vault::MasterKey::from_bytes(b"the privacy test's master key...").unwrap();
    let vault = minsheng_runtime::personal_data::open(&url, 1, master, None)
        .await
        .unwrap();
    let targets: Vec<Arc<dyn Target>> = vec![
        Arc::new(minsheng_vehicle_iot::VehicleIotTarget::default()),
        Arc::new(minsheng_fraud::FraudTarget::default()),
        Arc::new(minsheng_kpis::KpisTarget),
        Arc::new(minsheng_privacy::PrivacyTarget),
    ];
    let process = local::start(store.clone(), &targets, keys(), person_keys(), vault)
        .await
        .unwrap();
    let channel = support::binary::channel(process.grpc).await;
    Mesh {
        process,
        store,
        channel,
    }
}

impl Mesh {
    fn ebikes(&self) -> vehicle::ebikes_client::EbikesClient<Channel> {
        vehicle::ebikes_client::EbikesClient::new(self.channel.clone())
    }

    fn privacy(&self) -> privacy::privacy_client::PrivacyClient<Channel> {
        privacy::privacy_client::PrivacyClient::new(self.channel.clone())
    }

    /// Bike `n` registered to person `owner`; waits until every follower
    /// (the privacy files among them) has seen it.
    async fn register(&self, n: u32, owner: u32) {
        let mut request = registration(n, "lucheng");
        request.owner_resident_id = resident(owner);
        self.ebikes()
            .register_ebike(as_role(&keys(), "registration-clerk", None, request))
            .await
            .unwrap();
        self.process.caught_up("vehicle").await.unwrap();
    }

    /// Bike `n` reported stolen; waits until every follower has seen it.
    async fn report_stolen(&self, n: u32) {
        self.ebikes()
            .report_stolen(as_role(
                &keys(),
                "officer",
                None,
                vehicle::ReportStolenRequest {
                    tag_id: tag(n),
                    case_id: format!("WZ-2015-{n:04}"),
                    stolen_at: Some(now()),
                    place: "a car park".into(),
                    owner_resident_id: String::new(),
                },
            ))
            .await
            .unwrap();
        self.process.caught_up("vehicle").await.unwrap();
    }

    async fn bike(&self, n: u32) -> vehicle::Ebike {
        self.ebikes()
            .get_ebike(as_role(
                &keys(),
                "officer",
                None,
                vehicle::GetEbikeRequest { tag_id: tag(n) },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn forget(&self, person: u32) -> Result<privacy::Forgotten, tonic::Status> {
        self.privacy()
            .forget(as_role(
                &keys(),
                OFFICER,
                None,
                privacy::ForgetRequest {
                    resident_id: resident(person),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn export(&self, person: u32) -> Vec<privacy::HeldEvent> {
        self.privacy()
            .export_personal_data(as_role(
                &keys(),
                OFFICER,
                None,
                privacy::ExportPersonalDataRequest {
                    resident_id: resident(person),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .events
    }

    /// The record of what officers did about `person`: (type, actor).
    async fn record_of(&self, person: u32) -> Vec<(String, String)> {
        let key = person_keys().key_of(&resident(person));
        let stream = StreamName::parse(&format!("privacy.person.{key}")).unwrap();
        self.store
            .read_stream(&stream, 1, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.event_type, e.metadata.actor.unwrap_or_default()))
            .collect()
    }

    /// The city's figures for 2015 and now, as the dashboard reads them.
    async fn figures(&self) -> serde_json::Value {
        let (_, body) = minsheng_testkit::http_get_async(self.process.http, "/api/v1/kpis")
            .await
            .unwrap();
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        answer["figures"].clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_and_exporting_people() {
    let dir = tempfile::tempdir().unwrap();
    let mesh = spawn(dir.path()).await;

    a_forgotten_owners_bike_keeps_its_history_and_figures_but_not_the_phone(&mesh).await;
    a_person_whose_stolen_bike_is_under_investigation_cannot_be_forgotten(&mesh).await;
    an_export_returns_what_the_persons_events_hold_opened(&mesh).await;
    only_a_data_protection_officer_may_forget_and_a_bad_id_is_named(&mesh).await;
    a_forgotten_owners_stolen_bike_still_raises_a_hit(&mesh).await;

    // Replayed: a new process on the same store rebuilds its read models
    // from the events, and the vault beside them still lacks the key.
    mesh.process.stop().await.unwrap();
    let mesh = spawn(dir.path()).await;
    let replayed = mesh.bike(101).await;
    assert_eq!(replayed.hits, 1, "the hit stands after a replay");
    assert!(replayed.owner_forgotten, "and the owner stays forgotten");
    mesh.process.stop().await.unwrap();
}

/// Person 1 was forgotten (above): their bike is stolen and seen.
async fn a_forgotten_owners_stolen_bike_still_raises_a_hit(mesh: &Mesh) {
    vehicle::readers_client::ReadersClient::new(mesh.channel.clone())
        .install_reader(as_role(
            &keys(),
            "iot-admin",
            None,
            vehicle::InstallReaderRequest {
                reader_id: "RD-LC-0001".into(),
                latitude: 28.0,
                longitude: 120.65,
                district: "lucheng".into(),
            },
        ))
        .await
        .unwrap();
    mesh.report_stolen(101).await;
    let tally = vehicle::sightings_client::SightingsClient::new(mesh.channel.clone())
        .record_sighting_batch(as_role(
            &keys(),
            "iot-reader",
            None,
            vehicle::SightingBatch {
                sightings: vec![vehicle::Sighting {
                    tag_id: tag(101),
                    reader_id: "RD-LC-0001".into(),
                    seen_at: Some(now()),
                }],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tally.hits, 1, "{tally:?}");
    let bike = mesh.bike(101).await;
    assert_eq!((bike.hits, bike.owner_forgotten), (1, true));
}

async fn a_forgotten_owners_bike_keeps_its_history_and_figures_but_not_the_phone(mesh: &Mesh) {
    mesh.register(101, 1).await;
    let before = mesh.bike(101).await;
    assert_eq!(before.owner_phone_masked, "138****5678");
    assert!(!before.owner_forgotten);
    let figures = mesh.figures().await;
    assert!(figures.is_array(), "{figures}");

    let forgotten = mesh.forget(1).await.unwrap();
    assert!(forgotten.had_key, "the owner had a data key to destroy");

    let after = mesh.bike(101).await;
    assert!(after.owner_forgotten);
    assert_eq!(after.owner_phone_masked, "");
    assert_eq!(
        (
            after.status,
            after.version,
            &after.plate,
            &after.frame_number
        ),
        (
            before.status,
            before.version,
            &before.plate,
            &before.frame_number
        ),
        "the bike's history stands"
    );
    assert_eq!(mesh.figures().await, figures, "the figures stand");
    let exported = mesh.export(1).await;
    let registered = exported
        .iter()
        .find(|e| e.event_type == "vehicle.EbikeRegistered")
        .unwrap();
    assert!(
        registered
            .payload_json
            .contains(r#""owner_phone":"(forgotten)""#)
    );
    assert_eq!(
        mesh.record_of(1).await,
        [
            ("privacy.PersonForgotten".to_owned(), "e2e-test".to_owned()),
            (
                "privacy.PersonalDataExported".to_owned(),
                "e2e-test".to_owned()
            ),
        ]
    );
}

async fn a_person_whose_stolen_bike_is_under_investigation_cannot_be_forgotten(mesh: &Mesh) {
    mesh.register(102, 2).await;
    mesh.report_stolen(102).await;

    let refused = mesh.forget(2).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused
            .message()
            .contains(&format!("open-theft-case vehicle.ebike.{}", tag(102))),
        "{}",
        refused.message()
    );
    assert_eq!(
        mesh.bike(102).await.owner_phone_masked,
        "138****5678",
        "nothing was forgotten"
    );
    assert_eq!(
        mesh.record_of(2).await,
        [("privacy.ForgetRefused".to_owned(), "e2e-test".to_owned())]
    );
}

async fn an_export_returns_what_the_persons_events_hold_opened(mesh: &Mesh) {
    mesh.register(103, 3).await;
    mesh.register(104, 3).await;
    let exported = mesh.export(3).await;
    let streams: Vec<&str> = exported.iter().map(|e| e.stream.as_str()).collect();
    assert_eq!(
        streams,
        [
            format!("vehicle.ebike.{}", tag(103)),
            format!("vehicle.ebike.{}", tag(104))
        ]
    );
    for held in &exported {
        let payload: serde_json::Value = serde_json::from_str(&held.payload_json).unwrap();
        assert_eq!(
            payload["owner_phone"], "13812345678",
            "opened for its person"
        );
        assert_eq!(held.event_type, "vehicle.EbikeRegistered");
        assert!(held.recorded_at.is_some());
    }
    assert_eq!(
        mesh.record_of(3).await,
        [(
            "privacy.PersonalDataExported".to_owned(),
            "e2e-test".to_owned()
        )]
    );
}

async fn only_a_data_protection_officer_may_forget_and_a_bad_id_is_named(mesh: &Mesh) {
    let denied = mesh
        .privacy()
        .forget(as_role(
            &keys(),
            "officer",
            None,
            privacy::ForgetRequest {
                resident_id: resident(3),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let bad = mesh
        .privacy()
        .forget(as_role(
            &keys(),
            OFFICER,
            None,
            privacy::ForgetRequest {
                resident_id: "33030219800101000".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("resident_id"), "{}", bad.message());
    assert_eq!(
        mesh.bike(103).await.owner_phone_masked,
        "138****5678",
        "neither forgot anyone"
    );
}
