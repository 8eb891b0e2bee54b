//! The personal-data scan (issue 14, item 9, first part): the known city,
//! whose people carry marked resident IDs, phones and a bank account, fed
//! through every service of a real `minsheng up` with JSON logs at debug
//! level and traces exported to an OTLP receiver; then every surface that
//! must never show those values is searched for them, in clear, as digits
//! only, in base64 and in hex: the logs, the exported spans, `/metrics`, and the
//! HTTP answers meant for anyone. Every hit is listed.
//!
//! On `serve` against a nats-server, the same city, and the JetStream
//! names, subjects and keys and what the server's monitoring shows.
//!
//! And the stores' raw bytes: every file of the embedded data directory
//! (the SQLite file, its write-ahead log), every file of the nats-server's
//! JetStream directory. Events hold personal values sealed, so none is
//! there in any form. And a person exported, then forgotten, through the
//! privacy target: their data key, in the store's files before, is in none
//! after (the sealed values left behind can no longer be opened).

#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine as _;
use minsheng_runtime::auth::TokenKeys;
use minsheng_testkit::otlp::OtlpReceiver;
use support::binary::{channel, minsheng, start_logging};
use support::city;

/// The marked values the city's requests carry.
const MARKED: &[(&str, &str)] = &[
    (
        "an owner's and a victim's resident ID",
        "11010519491231002X",
    ),
    ("a fugitive's resident ID", "110105195001010012"),
    ("an owner's phone", "13812345678"),
    ("a resident's phone", "13912345678"),
    ("a victim's bank account", "6222020200112233445"),
];

/// The forms a value may take on its way out.
fn encodings(value: &str) -> Vec<(String, String)> {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let mut forms = vec![
        ("in clear".to_owned(), value.to_owned()),
        (
            "in base64".to_owned(),
            base64::engine::general_purpose::STANDARD.encode(value),
        ),
        (
            "in hex".to_owned(),
            value.bytes().map(|b| format!("{b:02x}")).collect(),
        ),
    ];
    if digits != value {
        forms.push(("as digits".to_owned(), digits));
    }
    forms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_value_leaves_by_logs_spans_metrics_or_public_answers() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs_path = dir.path().join("stderr.log");
    let mut up = minsheng(
        &[
            "--log-format",
            "json",
            "--otlp-endpoint",
            &receiver.endpoint(),
            "up",
        ],
        &dir.path().join("data"),
    );
    up.env("MINSHENG_LOG", "debug");
    let running = start_logging(up, std::fs::File::create(&logs_path).unwrap());
    let keys = TokenKeys::load(&dir.path().join("data/jwt.key")).unwrap();
    city::feed(channel(running.grpc).await, &keys).await;
    city::until_the_figures_add_up(running.http).await;
    let forgotten_key = exported_then_forgotten(&running, &keys, &dir.path().join("data")).await;

    let mut surfaces: Vec<(String, String)> = Vec::new();
    for path in [
        "/metrics",
        "/readyz",
        "/healthz",
        "/api/v1/kpis",
        "/api/v1/kpis/overview",
        "/",
    ] {
        let (_, body) = minsheng_testkit::http_get_async(running.http, path)
            .await
            .unwrap();
        surfaces.push((format!("GET {path}"), body));
    }
    running.terminate();
    assert!(
        !files_under(&dir.path().join("data"))
            .iter()
            .any(|(_, bytes)| holds(bytes, &forgotten_key)),
        "after the forget, the person's data key is in no file of the store"
    );
    surfaces.extend(raw_bytes_under(&dir.path().join("data")));
    let logs = std::fs::read_to_string(&logs_path).unwrap();
    assert!(
        logs.len() > 10_000,
        "debug logs were written: {} bytes",
        logs.len()
    );
    surfaces.push(("the logs".to_owned(), logs));
    let spans = receiver.everything();
    assert!(!receiver.spans().is_empty(), "spans were exported");
    surfaces.push(("the exported spans".to_owned(), spans));
    assert_nothing_personal(&surfaces);
}

/// Every file under `dir`, as bytes (shown as text where they are: the
/// marked values are ASCII, so a lossy reading keeps any copy of them).
/// Asserts the events are there to be read (a frame number, clear by
/// decision, is found): a scan of nothing proves nothing.
fn raw_bytes_under(dir: &std::path::Path) -> Vec<(String, String)> {
    files_under(dir)
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8_lossy(&bytes).into_owned()))
        .collect()
}

/// Every file under `dir`: its name and its bytes.
fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            files.push((format!("the bytes of {}", path.display()), bytes));
        }
    }
    let frame = city::registration(1, "lucheng").frame_number;
    assert!(
        files
            .iter()
            .any(|(_, bytes)| holds(bytes, frame.as_bytes())),
        "the city's events, in clear where not personal, are under {}",
        dir.display()
    );
    files
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A person outside the city registers a bike (their phone sealed under a
/// data key of their own), is exported and then forgotten by a
/// data-protection officer. Returns their wrapped data key as stored,
/// after checking the store's files hold it before the forget (so that
/// its absence afterwards means something).
async fn exported_then_forgotten(
    running: &support::binary::Running,
    keys: &TokenKeys,
    data_dir: &std::path::Path,
) -> Vec<u8> {
    use minsheng_proto::privacy::v1 as privacy;
    use minsheng_proto::vehicle::v1 as vehicle;
    use minsheng_vault::KeyStore as _;
    let resident = city::resident_id(500);
    let mut registration = city::registration(500, "lucheng");
    registration.owner_resident_id = resident.clone();
    vehicle::ebikes_client::EbikesClient::new(channel(running.grpc).await)
        .register_ebike(city::as_role(
            keys,
            "registration-clerk",
            None,
            registration,
        ))
        .await
        .unwrap();
    let person = minsheng_runtime::person_keys::PersonKeys::load(&data_dir.join("person.key"))
        .unwrap()
        .key_of(&resident);
    let keys_file = minsheng_runtime::personal_data::sqlite_keys_file(&data_dir.join("events.db"));
    let wrapped = minsheng_vault::SqliteKeys::open(keys_file)
        .unwrap()
        .get(&person)
        .await
        .unwrap()
        .expect("the owner's data key")
        .wrapped;
    assert!(
        files_under(data_dir)
            .iter()
            .any(|(_, bytes)| holds(bytes, &wrapped)),
        "the data key is stored as these bytes"
    );
    const OFFICER: &str = "data-protection-officer";
    let mut desk = privacy::privacy_client::PrivacyClient::new(channel(running.grpc).await);
    let exported = desk
        .export_personal_data(city::as_role(
            keys,
            OFFICER,
            None,
            privacy::ExportPersonalDataRequest {
                resident_id: resident.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!exported.events.is_empty());
    let forgotten = desk
        .forget(city::as_role(
            keys,
            OFFICER,
            None,
            privacy::ForgetRequest {
                resident_id: resident,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(forgotten.had_key);
    wrapped
}

/// Fails listing every marked value, in any of its forms, found in any of
/// `surfaces` (name, text).
fn assert_nothing_personal(surfaces: &[(String, String)]) {
    let mut hits = Vec::new();
    for (what, value) in MARKED {
        for (form, text) in encodings(value) {
            for (surface, body) in surfaces {
                if body.contains(&text) {
                    hits.push(format!("{what} {form}, in {surface}"));
                }
            }
        }
    }
    assert!(hits.is_empty(), "personal data found:\n{}", hits.join("\n"));
}

/// The JetStream side of a mesh: every stream's name and every subject a
/// message is stored under (key-value keys included: they are subjects),
/// and what the server's monitoring says of streams, consumers and
/// subscriptions.
async fn nats_surfaces(nats: &minsheng_testkit::NatsServer) -> Vec<(String, String)> {
    use futures::TryStreamExt;
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let names: Vec<String> = js.stream_names().try_collect().await.unwrap();
    let mut subjects = Vec::new();
    for name in &names {
        let stream = js.get_stream(name).await.unwrap();
        let stored: Vec<(String, usize)> = stream
            .info_with_subjects(">")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        subjects.extend(stored.into_iter().map(|(subject, _)| subject));
    }
    assert!(
        subjects.len() > 50,
        "the city's subjects: {}",
        subjects.len()
    );
    let mut surfaces = vec![
        ("JetStream stream names".to_owned(), names.join("\n")),
        (
            "JetStream subjects and keys".to_owned(),
            subjects.join("\n"),
        ),
    ];
    for path in [
        "/jsz?streams=true&consumers=true&config=true",
        "/subsz?subs=1",
        "/connz?subs=1",
    ] {
        surfaces.push((
            format!("nats-server {path}"),
            nats.monitor(path).unwrap().to_string(),
        ));
    }
    surfaces
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_value_is_in_a_nats_name_subject_or_key_of_the_mesh() {
    let nats = minsheng_testkit::NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = support::deployment_keys(dir.path());
    let running = support::binary::start(minsheng(
        &[
            "serve",
            "--target",
            "all",
            "--store",
            &nats.url(),
            "--drain-delay",
            "0s",
        ],
        dir.path(),
    ));
    // With a request id (a resident ID, as a careless client might send):
    // only its keyed hash may reach the request-id bucket's keys.
    city::feed(channel(running.grpc).await, &keys).await;
    city::until_the_figures_add_up(running.http).await;
    retried_with_a_personal_request_id(&running, &keys).await;
    let mut surfaces = nats_surfaces(&nats).await;
    running.terminate();
    surfaces.extend(raw_bytes_under(&nats.store_dir()));
    assert_nothing_personal(&surfaces);
}

/// Registers one more bike, twice, with a resident ID as its request id.
async fn retried_with_a_personal_request_id(running: &support::binary::Running, keys: &TokenKeys) {
    use minsheng_proto::vehicle::v1 as vehicle;
    let mut ebikes = vehicle::ebikes_client::EbikesClient::new(channel(running.grpc).await);
    for _ in 0..2 {
        let mut request = city::as_role(
            keys,
            "registration-clerk",
            None,
            city::registration(9999, "lucheng"),
        );
        request
            .metadata_mut()
            .insert("x-request-id", MARKED[0].1.parse().unwrap());
        ebikes.register_ebike(request).await.unwrap();
    }
}
