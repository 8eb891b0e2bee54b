//! The binary's command line.

mod support;

use std::process::Command;

#[test]
fn minsheng_version_names_the_build_and_its_backends() {
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .arg("version")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("minsheng {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("sqlite, jetstream"), "{text}");
}

#[test]
fn an_unknown_subcommand_is_refused_with_a_usage_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .arg("launch-everything")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
}

/// `minsheng --data-dir <dir> <args>`, run to its end.
fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

const MINT: &[&str] = &[
    "token",
    "--sub",
    "officer-7",
    "--role",
    "officer",
    "--role",
    "iot-reader",
    "--ttl",
    "2h",
];

#[test]
fn a_token_is_minted_only_with_the_deployments_key_never_a_new_one() {
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("data");
    // No key yet: minting says how to get one and creates nothing (a
    // token signed with a fresh key would be refused by every process).
    let refused = run_in(&dir, MINT);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("minsheng keys init"), "{said}");
    assert!(!dir.join("jwt.key").exists(), "no key was created");

    let init = run_in(&dir, &["keys", "init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let said = String::from_utf8_lossy(&init.stdout);
    assert!(said.contains("created a new JWT key"), "{said}");
    assert!(said.contains("created a new person key"), "{said}");
    let again = run_in(&dir, &["keys", "init"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("kept the JWT key already in"));

    let out = run_in(&dir, MINT);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).expect("utf-8");
    let keys = minsheng_runtime::auth::TokenKeys::load(&dir.join("jwt.key")).expect("key file");
    let caller = keys
        .verify(Some(&format!("Bearer {}", token.trim())))
        .expect("verifies");
    assert_eq!(caller.subject, "officer-7");
    assert_eq!(caller.roles, vec!["officer", "iot-reader"]);

    // A key anyone may write would let anyone mint any role: refused, with
    // the fix, by minting and by serving alike.
    use std::os::unix::fs::PermissionsExt;
    let key = dir.join("jwt.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    for args in [
        MINT,
        &[
            "up",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ],
    ] {
        let out = run_in(&dir, args);
        assert!(!out.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("has mode 666") && said.contains(&format!("chmod 600 {}", key.display())),
            "{args:?}: {said}"
        );
    }
}

#[test]
fn a_token_with_a_bad_role_or_ttl_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(run_in(dir.path(), &["keys", "init"]).status.success());
    let mint = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .arg("--data-dir")
            .arg(dir.path())
            .arg("token")
            .args(args)
            .output()
            .expect("the binary runs")
    };
    let bad_role = mint(&["--sub", "a", "--role", "Chief Officer"]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("invalid role"));
    let bad_ttl = mint(&["--sub", "a", "--role", "officer", "--ttl", "forever"]);
    assert!(!bad_ttl.status.success());
    assert!(String::from_utf8_lossy(&bad_ttl.stderr).contains("--ttl"));
    let too_long = mint(&["--sub", "a", "--role", "officer", "--ttl", "90d"]);
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("invalid ttl"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projections_status_says_where_the_saved_figures_stand() {
    use std::sync::Arc;

    use minsheng_eventstore::{EventStore, ExpectedVersion, StreamName, codec};
    use minsheng_vehicle_iot::domain::events::VehicleEvent;
    use minsheng_vehicle_iot::domain::values::{District, Location};

    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn EventStore> = Arc::new(
        minsheng_eventstore::sqlite::SqliteStore::open(dir.path().join("events.db"))
            .expect("store"),
    );
    let install = |n: u32| {
        let store = store.clone();
        async move {
            let event = codec::encode(&VehicleEvent::ReaderInstalled {
                location: Location::parse(28.0, 120.6).expect("in the city"),
                district: District::parse("district", "ruian").expect("a district"),
            })
            .expect("encodes");
            let stream = StreamName::parse(&format!("vehicle.reader.RD-{n}")).expect("a name");
            store
                .append(&stream, ExpectedVersion::NoStream, vec![event], None)
                .await
                .expect("appends");
        }
    };
    let status = || {
        let out = Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["projections", "status"])
            .output()
            .expect("the binary runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    install(1).await;
    let text = status();
    assert!(text.contains("no snapshot yet"), "{text}");
    assert!(
        text.contains("live: no JWT key at"),
        "without the key there is nobody to ask: {text}"
    );

    // The projection counts and saves on stop; then one more event arrives.
    let view = minsheng_kpis::projection::KpiProjection::new(minsheng_kpis::projection::SPEC);
    view.set_leading(true);
    let (done, caught_up) = tokio::sync::oneshot::channel::<()>();
    view.follow(
        store.as_ref(),
        None,
        move || {
            let _ = done.send(());
        },
        async move {
            let _ = caught_up.await;
        },
    )
    .await
    .expect("follows");
    let text = status();
    assert!(text.contains("snapshot saved"), "{text}");
    assert!(
        text.contains("vehicle  at 1, last event 1: caught up"),
        "{text}"
    );
    install(2).await;
    let text = status();
    assert!(
        text.contains("vehicle  at 1, last event 2: behind, by events recorded over 0 s"),
        "{text}"
    );
    assert!(
        text.contains("fraud    at 0, last event 0: caught up"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projections_rebuild_swaps_in_the_same_figures_in_a_running_process() {
    use support::binary::{channel, minsheng, start};
    use support::city::{city_figures, expected, feed, until_the_figures_add_up};

    let dir = tempfile::tempdir().expect("temp dir");
    let running = start(minsheng(&["up"], dir.path()));
    let keys = minsheng_runtime::auth::TokenKeys::load(&dir.path().join("jwt.key")).expect("key");
    feed(channel(running.grpc).await, &keys).await;
    let http = running.http;
    until_the_figures_add_up(http).await;

    let grpc = running.grpc;
    let rebuild = move |projection: &str, key_dir: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .arg("--data-dir")
            .arg(key_dir)
            .args(["projections", "rebuild", projection, "--endpoint"])
            .arg(format!("http://{grpc}"))
            .output()
            .expect("the binary runs")
    };
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || rebuild("kpis", &dir)
    })
    .await
    .expect("joins");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("rebuilt kpis:")
            && said.contains("swapped in")
            && said.contains("the other replicas were asked to rebuild too"),
        "{said}"
    );
    assert_eq!(
        city_figures(http).await,
        expected(),
        "a rebuild gives the same figures"
    );

    // An unknown projection, and a key that is not the deployment's.
    let unknown = rebuild("gang-cases", dir.path());
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("invalid value 'gang-cases'"));
    let stranger = tempfile::tempdir().expect("temp dir");
    minsheng_runtime::auth::TokenKeys::load_or_create(&stranger.path().join("jwt.key"))
        .expect("a key");
    let refused = rebuild("kpis", stranger.path());
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("token"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projections_status_shows_a_running_projection_counting_while_bikes_are_registered() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use minsheng_proto::vehicle::v1 as vehicle;
    use support::binary::{channel, minsheng, start};
    use support::city::{as_role, registration};

    let dir = tempfile::tempdir().expect("temp dir");
    let running = start(minsheng(&["up"], dir.path()));
    let keys = minsheng_runtime::auth::TokenKeys::load(&dir.path().join("jwt.key")).expect("key");

    // Bikes keep being registered while status takes its two readings.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = tokio::spawn({
        let (writing, ch, keys) = (writing.clone(), channel(running.grpc).await, keys.clone());
        async move {
            let mut ebikes = vehicle::ebikes_client::EbikesClient::new(ch);
            let mut n = 0u32;
            while writing.load(Ordering::SeqCst) && n < 0xFFFF {
                n += 1;
                let request = registration(n, "lucheng");
                ebikes
                    .register_ebike(as_role(&keys, "registration-clerk", None, request))
                    .await
                    .expect("registered");
            }
            n
        }
    });
    let endpoint = format!("http://{}", running.grpc);
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            Command::new(env!("CARGO_BIN_EXE_minsheng"))
                .arg("--data-dir")
                .arg(dir)
                .args(["projections", "status", "--endpoint", &endpoint])
                .output()
                .expect("the binary runs")
        }
    })
    .await
    .expect("joins");
    writing.store(false, Ordering::SeqCst);
    let registered = writer.await.expect("the writer ran");

    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(&format!("live, the process at http://{}", running.grpc))
            && said.contains("leads: it saves the snapshot"),
        "{said}"
    );
    let vehicle_rate: f64 = said
        .lines()
        .filter(|l| l.trim_start().starts_with("vehicle") && l.contains("lag"))
        .find_map(|l| {
            l.strip_suffix(" events/s")?
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("a live vehicle line with its rate: {said}"));
    assert!(
        vehicle_rate > 0.0,
        "{registered} bikes registered meanwhile, yet no events/s: {said}"
    );
    assert!(
        said.lines()
            .any(|l| l.trim_start().starts_with("fraud") && l.ends_with(" 0 events/s")),
        "nothing happened in fraud: {said}"
    );

    // Status is for a viewer too, never for an officer.
    let mut client = minsheng_proto::kpis::v1::projections_client::ProjectionsClient::new(
        channel(running.grpc).await,
    );
    let ask = |role: &str| {
        as_role(
            &keys,
            role,
            None,
            minsheng_proto::kpis::v1::StatusRequest {
                projection: "kpis".into(),
            },
        )
    };
    let answer = client
        .status(ask("viewer"))
        .await
        .expect("a viewer may ask");
    assert!(answer.into_inner().leading);
    let refused = client.status(ask("officer")).await.expect_err("refused");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::unwrap_used)]
async fn a_master_key_rotation_leaves_every_sealed_value_readable_with_the_new_key_alone() {
    use minsheng_vault::{MasterKey, Opened, SqliteKeys, Vault};
    let dir = tempfile::tempdir().expect("temp dir");
    let master = |name: &str| {
        let path = dir.path().join(name);
        let (bytes, _) = minsheng_runtime::secret::load_or_create(&path, "master key").unwrap();
        (path, MasterKey::from_bytes(&bytes).unwrap())
    };
    let ((old_file, old), (new_file, new)) = (master("old.key"), master("new.key"));
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let keys_file = minsheng_runtime::personal_data::sqlite_keys_file(&data.join("events.db"));
    let store = std::sync::Arc::new(SqliteKeys::open(keys_file).unwrap());
    let cache = std::num::NonZeroUsize::new(8).unwrap();
    let sealing = Vault::new(old, store.clone(), cache);
    let mut sealed = Vec::new();
    for n in 0..50 {
        sealed.push(
            sealing
                .seal(&format!("p{n:02}"), &format!("1380000{n:04}"))
                .await
                .unwrap(),
        );
    }
    let out = run_in(
        &data,
        &[
            "keys",
            "rotate-master",
            "--old-master-key-file",
            old_file.to_str().unwrap(),
            "--new-master-key-file",
            new_file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("50 data keys rewrapped"), "{said}");
    let reading = Vault::new(new, store, cache);
    for (n, value) in sealed.iter().enumerate() {
        assert_eq!(
            reading.open(value).await.unwrap(),
            Opened::Value(format!("1380000{n:04}"))
        );
    }
}
