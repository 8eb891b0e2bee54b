//! The vault on each key store (the embedded store's database file, and
//! a JetStream bucket on a real nats-server): a person's values seal and
//! open; forgetting them leaves their values unreadable (and, on SQLite,
//! no trace of their key in the files); processes racing on a new person
//! share one key; a rotation leaves every value readable with the new
//! master key alone.

#![allow(clippy::unwrap_used)]

use std::num::NonZeroUsize;
use std::sync::Arc;

use minsheng_vault::{KeyStore, MasterKey, NatsKeys, Opened, SqliteKeys, Vault};

const PHONE: &str = "13812345678";

fn master(byte: u8) -> MasterKey {
    MasterKey::from_bytes(&[byte; 32]).unwrap()
}

fn vault<S: KeyStore + 'static>(store: &Arc<S>, master: MasterKey, cache: usize) -> Vault {
    Vault::new(master, store.clone(), NonZeroUsize::new(cache).unwrap())
}

/// The bytes of the database and its write-ahead log.
fn files(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for file in ["events.db", "events.db-wal"] {
        bytes.extend(std::fs::read(dir.join(file)).unwrap_or_default());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_persons_values_no_longer_open_and_their_key_is_in_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteKeys::open(dir.path().join("events.db")).unwrap());
    let vault = vault(&store, master(1), 100);
    let sealed = vault.seal("p1", PHONE).await.unwrap();
    let other = vault.seal("p2", "13900001111").await.unwrap();
    assert!(!sealed.sealed.contains(PHONE));
    assert_eq!(
        vault.open(&sealed).await.unwrap(),
        Opened::Value(PHONE.into())
    );
    // Another process (no cache) opens it through the store.
    let fresh = self::vault(&store, master(1), 100);
    assert_eq!(
        fresh.open(&sealed).await.unwrap(),
        Opened::Value(PHONE.into())
    );
    assert!(
        !contains(&files(dir.path()), PHONE.as_bytes()),
        "no value in clear"
    );

    let wrapped = store.get("p1").await.unwrap().unwrap().wrapped;
    assert!(contains(&files(dir.path()), &wrapped));
    assert!(vault.forget("p1").await.unwrap());
    assert_eq!(vault.open(&sealed).await.unwrap(), Opened::Forgotten);
    assert_eq!(
        self::vault(&store, master(1), 100)
            .open(&sealed)
            .await
            .unwrap(),
        Opened::Forgotten
    );
    assert!(
        !contains(&files(dir.path()), &wrapped),
        "the forgotten key is left in neither file"
    );
    assert_eq!(
        vault.open(&other).await.unwrap(),
        Opened::Value("13900001111".into()),
        "others are untouched"
    );
    assert!(!vault.forget("p1").await.unwrap(), "forgotten once");
}

async fn racing_processes_share_one_key<S: KeyStore + 'static>(store: Arc<S>) {
    let (a, b) = (
        Arc::new(vault(&store, master(1), 10)),
        Arc::new(vault(&store, master(1), 10)),
    );
    let mut sealed = Vec::new();
    for round in 0..20 {
        let person = format!("p{round}");
        let (x, y) = tokio::join!(a.seal(&person, "a"), b.seal(&person, "b"));
        sealed.push((x.unwrap(), y.unwrap()));
    }
    for (x, y) in &sealed {
        assert_eq!(b.open(x).await.unwrap(), Opened::Value("a".into()));
        assert_eq!(a.open(y).await.unwrap(), Opened::Value("b".into()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sealing_for_a_new_person_at_once_share_one_key() {
    let dir = tempfile::tempdir().unwrap();
    racing_processes_share_one_key(Arc::new(
        SqliteKeys::open(dir.path().join("events.db")).unwrap(),
    ))
    .await;
}

async fn rotation_leaves_every_value_readable_with_the_new_key_alone<S: KeyStore + 'static>(
    store: Arc<S>,
    people: usize,
) {
    // A cache of 2: most keys come from the store.
    let old = vault(&store, master(1), 2);
    let mut sealed = Vec::new();
    for n in 0..people {
        sealed.push(
            old.seal(&format!("p{n:04}"), &format!("1380000{n:04}"))
                .await
                .unwrap(),
        );
    }
    let rotating = vault(&store, master(2), 2).with_previous(master(1));
    let mut reports = Vec::new();
    let rewrapped = rotating.rotate(&mut |n| reports.push(n)).await.unwrap();
    assert_eq!(rewrapped, people as u64);
    assert_eq!(reports.last(), Some(&(people as u64)));
    assert_eq!(
        rotating.rotate(&mut |_| {}).await.unwrap(),
        0,
        "nothing left"
    );
    let new_only = vault(&store, master(2), 2);
    for (n, value) in sealed.iter().enumerate() {
        assert_eq!(
            new_only.open(value).await.unwrap(),
            Opened::Value(format!("1380000{n:04}"))
        );
    }
    assert!(
        vault(&store, master(1), 2).open(&sealed[0]).await.is_err(),
        "the old master key opens nothing any more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_rotation_every_value_opens_with_the_new_master_key_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteKeys::open(dir.path().join("events.db")).unwrap());
    rotation_leaves_every_value_readable_with_the_new_key_alone(store, 1200).await;
}

// ---------------------------------------------------------------- JetStream

async fn on_nats() -> (minsheng_testkit::NatsServer, Arc<NatsKeys>) {
    let server = minsheng_testkit::NatsServer::start().unwrap();
    let client = async_nats::connect(server.url()).await.unwrap();
    let store = Arc::new(NatsKeys::open(client, 1).await.unwrap());
    (server, store)
}

/// Every file under `dir`, its bytes end to end.
fn every_file_under(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            bytes.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_nats_a_forgotten_persons_values_no_longer_open_and_their_key_is_on_no_disk() {
    let (server, store) = on_nats().await;
    let vault = vault(&store, master(1), 100);
    let sealed = vault.seal("p1", PHONE).await.unwrap();
    let other = vault.seal("p2", "13900001111").await.unwrap();
    // The bucket keeps the wrapped key as base64 in a JSON value.
    let wrapped = {
        use base64::Engine as _;
        let key = store.get("p1").await.unwrap().unwrap().wrapped;
        base64::engine::general_purpose::STANDARD
            .encode(key)
            .into_bytes()
    };
    assert!(
        contains(&every_file_under(&server.store_dir()), &wrapped),
        "the wrapped key is stored as found here (what is searched for below)"
    );
    assert!(vault.forget("p1").await.unwrap());
    assert_eq!(store.get("p1").await.unwrap(), None);
    assert!(
        !contains(&every_file_under(&server.store_dir()), &wrapped),
        "the forgotten key is in no file of the JetStream store"
    );
    assert_eq!(
        self::vault(&store, master(1), 100)
            .open(&sealed)
            .await
            .unwrap(),
        Opened::Forgotten
    );
    assert_eq!(
        vault.open(&other).await.unwrap(),
        Opened::Value("13900001111".into())
    );
    // New values of a forgotten person get a new key; the old stay closed.
    let again = vault.seal("p1", PHONE).await.unwrap();
    assert_eq!(
        vault.open(&again).await.unwrap(),
        Opened::Value(PHONE.into())
    );
    assert_eq!(
        vault.open(&sealed).await.unwrap(),
        Opened::Forgotten,
        "the old values stay forgotten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_nats_racing_processes_share_one_key_and_a_rotation_rewraps_every_key() {
    let (_server, store) = on_nats().await;
    racing_processes_share_one_key(store.clone()).await;
    let (_server, store) = on_nats().await;
    rotation_leaves_every_value_readable_with_the_new_key_alone(store, 120).await;
}
