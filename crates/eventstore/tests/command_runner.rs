//! The command runner against a real (SQLite) store, with a small e-bike
//! aggregate as the domain.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use minsheng_eventstore::aggregate::{Aggregate, CommandContext, CommandError, CommandRunner};
use minsheng_eventstore::interposed::{Interpose, Interposed};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{
    DomainEvent, EventStore, ExpectedVersion, Metadata, NewEvent, RequestId, StoreError, StreamName,
};
use serde::{Deserialize, Serialize};

/// v2 of `Registered` names the district; v1 events had none and were all
/// registered in Lucheng.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum BikeEvent {
    Registered { tag: String, district: String },
    ReportedStolen { case: String },
    Sighted { reader: String },
}

impl DomainEvent for BikeEvent {
    const CONTEXT: &'static str = "vehicle";

    fn schema_version(variant: &str) -> u16 {
        if variant == "Registered" { 2 } else { 1 }
    }

    fn upcast(
        variant: &str,
        from: u16,
        mut payload: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        match (variant, from) {
            ("Registered", 1) => {
                payload["district"] = "lucheng".into();
                Ok(payload)
            }
            _ => Err(format!("no upcaster for {variant} v{from}")),
        }
    }
}

#[derive(Debug, Default)]
struct Bike {
    registered: Option<(String, String)>,
    stolen: bool,
    sightings: u64,
}

enum BikeCommand {
    Register { tag: String, district: String },
    ReportStolen { case: String },
    RecordSighting { reader: String },
}

#[derive(Debug, thiserror::Error, PartialEq)]
enum BikeRule {
    #[error("the bike is already registered")]
    AlreadyRegistered,
    #[error("the bike is not registered")]
    NotRegistered,
    #[error("the bike is already reported stolen")]
    AlreadyStolen,
}

impl Aggregate for Bike {
    type Event = BikeEvent;
    type Command = BikeCommand;
    type Error = BikeRule;

    fn apply(&mut self, event: &BikeEvent) {
        match event {
            BikeEvent::Registered { tag, district } => {
                self.registered = Some((tag.clone(), district.clone()))
            }
            BikeEvent::ReportedStolen { .. } => self.stolen = true,
            BikeEvent::Sighted { .. } => self.sightings += 1,
        }
    }

    fn decide(&self, command: &BikeCommand) -> Result<Vec<BikeEvent>, BikeRule> {
        match command {
            BikeCommand::Register { tag, district } => match self.registered {
                Some(_) => Err(BikeRule::AlreadyRegistered),
                None => Ok(vec![BikeEvent::Registered {
                    tag: tag.clone(),
                    district: district.clone(),
                }]),
            },
            _ if self.registered.is_none() => Err(BikeRule::NotRegistered),
            BikeCommand::ReportStolen { .. } if self.stolen => Err(BikeRule::AlreadyStolen),
            BikeCommand::ReportStolen { case } => {
                Ok(vec![BikeEvent::ReportedStolen { case: case.clone() }])
            }
            // A sighting of a bike that is not stolen is not recorded.
            BikeCommand::RecordSighting { .. } if !self.stolen => Ok(vec![]),
            BikeCommand::RecordSighting { reader } => Ok(vec![BikeEvent::Sighted {
                reader: reader.clone(),
            }]),
        }
    }
}

fn bike(id: &str) -> StreamName {
    StreamName::parse(&format!("vehicle.ebike.{id}")).unwrap()
}

fn register() -> BikeCommand {
    BikeCommand::Register {
        tag: "E2000017".into(),
        district: "ouhai".into(),
    }
}

fn store() -> (tempfile::TempDir, Arc<dyn EventStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("events.db")).unwrap();
    (dir, Arc::new(store))
}

#[tokio::test]
async fn a_registered_bike_reported_stolen_is_stolen_with_the_actor_in_each_event() {
    let (_dir, store) = store();
    let runner = CommandRunner::new(Arc::clone(&store));
    let who = CommandContext {
        request_id: None,
        metadata: Metadata {
            actor: Some("clerk-3".into()),
            ..Metadata::default()
        },
    };
    let registered = runner
        .execute::<Bike>(&bike("b1"), &register(), &who)
        .await
        .unwrap();
    assert_eq!((registered.version, registered.replayed), (1, false));
    let stolen = runner
        .execute::<Bike>(
            &bike("b1"),
            &BikeCommand::ReportStolen { case: "C-1".into() },
            &who,
        )
        .await
        .unwrap();
    assert_eq!(stolen.version, 2);

    let (state, version) = runner.load::<Bike>(&bike("b1")).await.unwrap();
    assert!(state.stolen);
    assert_eq!(version, 2);
    let stored = store.read_stream(&bike("b1"), 1, 10).await.unwrap();
    assert_eq!(stored[0].event_type, "vehicle.Registered");
    assert!(
        stored
            .iter()
            .all(|e| e.metadata.actor.as_deref() == Some("clerk-3"))
    );
}

#[tokio::test]
async fn a_broken_rule_is_refused_and_nothing_is_written() {
    let (_dir, store) = store();
    let runner = CommandRunner::new(Arc::clone(&store));
    let none = CommandContext::default();
    let refused = runner
        .execute::<Bike>(
            &bike("b2"),
            &BikeCommand::ReportStolen { case: "C-2".into() },
            &none,
        )
        .await;
    assert!(matches!(
        refused,
        Err(CommandError::Rejected(BikeRule::NotRegistered))
    ));
    runner
        .execute::<Bike>(&bike("b2"), &register(), &none)
        .await
        .unwrap();
    let twice = runner
        .execute::<Bike>(&bike("b2"), &register(), &none)
        .await;
    assert!(matches!(
        twice,
        Err(CommandError::Rejected(BikeRule::AlreadyRegistered))
    ));
    assert_eq!(
        store.read_stream(&bike("b2"), 1, 10).await.unwrap().len(),
        1
    );

    // A command that decides on no events writes nothing and succeeds.
    let quiet = runner
        .execute::<Bike>(
            &bike("b2"),
            &BikeCommand::RecordSighting {
                reader: "R-1".into(),
            },
            &none,
        )
        .await
        .unwrap();
    assert_eq!((quiet.version, quiet.position), (1, None));
}

#[tokio::test]
async fn a_repeated_request_gets_its_first_outcome_even_when_the_rule_would_now_refuse_it() {
    let (_dir, store) = store();
    let runner = CommandRunner::new(Arc::clone(&store));
    let once = CommandContext {
        request_id: Some(RequestId::parse("kiosk-7:reg-1").unwrap()),
        ..CommandContext::default()
    };
    let first = runner
        .execute::<Bike>(&bike("b3"), &register(), &once)
        .await
        .unwrap();
    let again = runner
        .execute::<Bike>(&bike("b3"), &register(), &once)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.version, again.position),
        (first.version, first.position)
    );
    let stored = store.read_stream(&bike("b3"), 1, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].metadata.request_id.as_deref(),
        Some("kiosk-7:reg-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sightings_of_a_stolen_bike_are_all_recorded_by_reloading_on_conflict() {
    let (_dir, store) = store();
    let runner = CommandRunner::new(Arc::clone(&store)).with_max_attempts(50);
    let none = CommandContext::default();
    runner
        .execute::<Bike>(&bike("b4"), &register(), &none)
        .await
        .unwrap();
    runner
        .execute::<Bike>(
            &bike("b4"),
            &BikeCommand::ReportStolen { case: "C-4".into() },
            &none,
        )
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|r| {
            let runner = runner.clone();
            tokio::spawn(async move {
                let sighting = BikeCommand::RecordSighting {
                    reader: format!("R-{r}"),
                };
                runner
                    .execute::<Bike>(&bike("b4"), &sighting, &CommandContext::default())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.unwrap().version);
    }
    versions.sort_unstable();
    assert_eq!(
        versions,
        (3..=18).collect::<Vec<_>>(),
        "each sighting got its own version"
    );
    let (state, _) = runner.load::<Bike>(&bike("b4")).await.unwrap();
    assert_eq!(state.sightings, 16);
}

/// Another writer that always gets in first.
#[derive(Debug, Default)]
struct AlwaysOvertaken {
    overtakes: AtomicU64,
}

#[async_trait]
impl Interpose for AlwaysOvertaken {
    async fn before_append(
        &self,
        inner: &dyn EventStore,
        stream: &StreamName,
        _events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let sighting = minsheng_eventstore::codec::encode(&BikeEvent::Sighted {
            reader: "other".into(),
        })
        .unwrap();
        inner
            .append(stream, ExpectedVersion::Any, vec![sighting], None)
            .await?;
        self.overtakes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_command_always_overtaken_gives_up_after_its_attempts() {
    let (_dir, store) = store();
    CommandRunner::new(Arc::clone(&store))
        .execute::<Bike>(&bike("b5"), &register(), &CommandContext::default())
        .await
        .unwrap();
    CommandRunner::new(Arc::clone(&store))
        .execute::<Bike>(
            &bike("b5"),
            &BikeCommand::ReportStolen { case: "C-5".into() },
            &CommandContext::default(),
        )
        .await
        .unwrap();
    let contested = Arc::new(Interposed {
        inner: Arc::clone(&store),
        hooks: AlwaysOvertaken::default(),
    });
    let runner = CommandRunner::new(contested.clone()).with_max_attempts(3);
    let result = runner
        .execute::<Bike>(
            &bike("b5"),
            &BikeCommand::RecordSighting {
                reader: "R-9".into(),
            },
            &CommandContext::default(),
        )
        .await;
    assert!(
        matches!(result, Err(CommandError::Contended { attempts: 3 })),
        "{result:?}"
    );
    assert_eq!(
        contested.hooks.overtakes.load(Ordering::SeqCst),
        3,
        "one reload and retry per attempt"
    );
    let readers: Vec<String> = store
        .read_stream(&bike("b5"), 3, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| {
            e.payload_as::<serde_json::Value>().unwrap()["reader"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        readers,
        vec!["other"; 3],
        "the overtaken command wrote nothing"
    );
}

#[tokio::test]
async fn a_registration_stored_as_v1_loads_as_v2_with_its_district() {
    let (_dir, store) = store();
    let v1 = NewEvent::new(
        "vehicle.Registered",
        1,
        &serde_json::json!({ "tag": "E2000099" }),
    )
    .unwrap();
    store
        .append(&bike("b6"), ExpectedVersion::NoStream, vec![v1], None)
        .await
        .unwrap();
    let (state, version) = CommandRunner::new(Arc::clone(&store))
        .load::<Bike>(&bike("b6"))
        .await
        .unwrap();
    assert_eq!(version, 1);
    assert_eq!(
        state.registered,
        Some(("E2000099".into(), "lucheng".into()))
    );
    let stored = store.read_stream(&bike("b6"), 1, 1).await.unwrap();
    assert_eq!(
        stored[0].schema_version, 1,
        "the stored event is never rewritten"
    );
}
