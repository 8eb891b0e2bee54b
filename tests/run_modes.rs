//! The real binary in both run modes: `up` on the embedded store and
//! `serve` against a real nats-server, answering health and reflection,
//! checking tokens, counting calls on `/metrics`, exporting traces to an
//! OTLP receiver, and stopping cleanly on SIGTERM.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use futures::StreamExt;
use minsheng_runtime::auth::{Claims, TokenKeys};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_testkit::NatsServer;
use minsheng_testkit::otlp::OtlpReceiver;
use support::binary::{Running, channel, minsheng, start};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A method no target serves: every token is checked against the access
/// table first, which allows no role to call it.
const UNSERVED: &str = "/minsheng.nowhere.v1.Nothing/Call";

async fn call_unserved(running: &Running, token: Option<&str>) -> Code {
    let mut client = tonic::client::Grpc::new(channel(running.grpc).await);
    client.ready().await.unwrap();
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    if let Some(token) = token {
        minsheng_runtime::auth::attach_bearer(&mut request, token).unwrap();
    }
    client
        .unary::<_, HealthCheckRequest, _>(
            request,
            http::uri::PathAndQuery::from_static(UNSERVED),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err()
        .code()
}

/// Missing, expired and forged tokens are UNAUTHENTICATED; a good token
/// without a role that may call the method is PERMISSION_DENIED.
async fn assert_tokens_are_checked(running: &Running, key_file: &std::path::Path) {
    let keys = TokenKeys::load(key_file).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let stale = Claims {
        sub: "officer-7".into(),
        roles: vec!["officer".into()],
        iat: now - 7200,
        exp: now - 3600,
        institution: None,
    };
    // The key file holds the secret in hex.
    let text = std::fs::read_to_string(key_file).unwrap();
    let secret: Vec<u8> = (0..text.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text.trim()[i..i + 2], 16).unwrap())
        .collect();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &stale,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .unwrap();
    let forged = TokenKeys::from_secret(b"someone else's key, not this one")
        .mint("officer-7", &["officer".into()], Duration::from_secs(600))
        .unwrap();
    let good = keys
        .mint("officer-7", &["officer".into()], Duration::from_secs(600))
        .unwrap();
    assert_eq!(call_unserved(running, None).await, Code::Unauthenticated);
    assert_eq!(
        call_unserved(running, Some(&expired)).await,
        Code::Unauthenticated
    );
    assert_eq!(
        call_unserved(running, Some(&forged)).await,
        Code::Unauthenticated
    );
    assert_eq!(
        call_unserved(running, Some(&good)).await,
        Code::PermissionDenied
    );
}

async fn assert_reflection_lists_health(running: &Running) {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let request = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = ServerReflectionClient::new(channel(running.grpc).await)
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(Ok(answer)) = answers.next().await else {
        panic!("no reflection answer")
    };
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list")
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "grpc.health.v1.Health"),
        "{list:?}"
    );
}

async fn assert_serving(running: &Running, key_file: &std::path::Path) {
    let status = HealthClient::new(channel(running.grpc).await)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
    assert_reflection_lists_health(running).await;
    assert_tokens_are_checked(running, key_file).await;
    let http = running.http;
    let (ready, _) = minsheng_testkit::http_get_async(http, "/readyz")
        .await
        .unwrap();
    assert_eq!(ready, 200);
    let (status, metrics) = minsheng_testkit::http_get_async(http, "/metrics")
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("minsheng_build_info{version=\""),
        "{metrics}"
    );
    assert!(metrics.trim_end().ends_with("# EOF"), "{metrics}");
    // Every sample line is `name{labels} value`.
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        value.parse::<f64>().unwrap();
    }
    // The calls above are counted, with their final codes.
    let count = |method: &str, code: &str| {
        let prefix =
            format!("minsheng_grpc_server_calls_total{{method=\"{method}\",code=\"{code}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |v| v.parse::<u64>().unwrap())
    };
    assert_eq!(count("/grpc.health.v1.Health/Check", "Ok"), 1, "{metrics}");
    assert_eq!(count("other", "Unauthenticated"), 3, "{metrics}");
    assert_eq!(count("other", "PermissionDenied"), 1, "{metrics}");
}

/// `command`, run by a shell that first sets the umask to `umask`.
fn under_umask(umask: &str, command: &std::process::Command) -> std::process::Command {
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(command.get_program())
        .args(command.get_args());
    shell
}

/// The permission bits of `path`.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_health_on_the_embedded_store_and_stops_on_sigterm() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    // Under the loosest umask, what up creates is still its owner's only.
    let running = start(under_umask("000", &minsheng(&["up"], &dir)));
    assert_serving(&running, &dir.join("jwt.key")).await;
    assert!(
        dir.join("events.db").exists(),
        "the embedded store is in the data dir"
    );
    assert!(
        dir.join("jwt.key").exists(),
        "up creates the key on first start"
    );
    let mut modes = vec![(dir.clone(), mode(&dir))];
    for file in [
        "events.db",
        "events.db-wal",
        "events.db-shm",
        "jwt.key",
        "person.key",
        "minsheng.lock",
    ] {
        modes.push((dir.join(file), mode(&dir.join(file))));
    }
    let loose: Vec<String> = modes
        .iter()
        .filter(|(path, mode)| *mode != if *path == dir { 0o700 } else { 0o600 })
        .map(|(path, mode)| format!("{} {mode:o}", path.display()))
        .collect();
    assert_eq!(
        loose,
        Vec::<String>::new(),
        "the data dir 0700, its files 0600"
    );

    // A second process on the same directory would follow only its own
    // writes: it is refused at once, naming the first.
    let (status, said) = support::binary::exit_of(minsheng(&["up"], &dir));
    assert!(
        status.is_some_and(|s| !s.success()),
        "a second up on one data dir must exit with an error: {status:?} {said}"
    );
    let first = running.child.id();
    assert!(
        said.contains("is in use by another minsheng process")
            && said.contains(&format!("pid {first}")),
        "{said}"
    );
    running.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_against_nats_and_stops_on_sigterm() {
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    support::deployment_keys(dir.path());
    let running = start(minsheng(
        &[
            "serve",
            "--target",
            "all",
            "--store",
            &nats.url(),
            "--drain-delay",
            "1s",
        ],
        dir.path(),
    ));
    assert_serving(&running, &dir.path().join("jwt.key")).await;
    running.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_exports_the_trace_of_a_call_to_an_otlp_receiver() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let running = start(minsheng(
        &["--otlp-endpoint", &receiver.endpoint(), "up"],
        dir.path(),
    ));
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-b7ad6b7169203331-01")
            .parse()
            .unwrap(),
    );
    HealthClient::new(channel(running.grpc).await)
        .check(request)
        .await
        .unwrap();
    // The exporter flushes on the way out.
    running.terminate();
    let spans = receiver.spans();
    let check = spans
        .iter()
        .find(|s| s.span.name == "grpc.health.v1.Health/Check")
        .unwrap_or_else(|| panic!("no span for the call: {spans:?}"));
    assert_eq!(check.service_name.as_deref(), Some("minsheng"));
    let hex: String = check
        .span
        .trace_id
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, trace_id);
    assert_eq!(check.attribute("rpc.method").as_deref(), Some("Check"));
}

#[test]
fn serve_refuses_an_unknown_target_a_missing_key_and_a_bad_store_url() {
    let dir = tempfile::tempdir().unwrap();
    // In the test's directory: a store that opens claims its directory.
    let store = format!("sqlite://{}", dir.path().join("x.db").display());
    let store = store.as_str();
    let stderr_of = |args: &[&str]| {
        let out = minsheng(args, dir.path()).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(
        stderr_of(&["serve", "--target", "licensing", "--store", store])
            .contains("unknown target \"licensing\"")
    );
    assert!(stderr_of(&["serve", "--target", "all", "--store", store]).contains("JWT key file"));
    TokenKeys::load_or_create(&dir.path().join("jwt.key")).unwrap();
    assert!(stderr_of(&["serve", "--target", "all", "--store", store]).contains("person key file"));
    PersonKeys::load_or_create(&dir.path().join("person.key")).unwrap();
    assert!(stderr_of(&["serve", "--target", "all", "--store", store]).contains("master key file"));
    minsheng_runtime::personal_data::load_or_create_master(&dir.path().join("master.key")).unwrap();
    assert!(
        stderr_of(&["serve", "--target", "all", "--store", "postgres://db"]).contains("store url")
    );
    // Outside a cluster, Lease election cannot start: said, not hung.
    let out = minsheng(
        &[
            "serve",
            "--target",
            "all",
            "--store",
            store,
            "--leader-election",
            "kube-lease",
            "--lease-identity",
            "pod-a",
        ],
        dir.path(),
    )
    .env("KUBECONFIG", dir.path().join("no-such-kubeconfig"))
    .env_remove("KUBERNETES_SERVICE_HOST")
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Kubernetes API"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn up_refuses_to_start_on_a_store_it_cannot_write() {
    use std::os::unix::fs::PermissionsExt;
    // As a user a file's mode binds (root may write any file): nobody,
    // when the tests run as root, with a copy of the binary it may run.
    let as_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
    let dir = tempfile::tempdir().unwrap();
    if as_root {
        std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).unwrap();
    }
    let binary = dir.path().join("minsheng");
    std::fs::copy(env!("CARGO_BIN_EXE_minsheng"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        let mut command = if as_root {
            let mut command = std::process::Command::new("setpriv");
            command
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&binary);
            command
        } else {
            std::process::Command::new(&binary)
        };
        command.arg("--data-dir").arg(&data).args(args);
        command
    };
    // The keys and the store exist (as a first start leaves them)...
    assert!(run(&["keys", "init"]).status().unwrap().success());
    assert!(
        run(&["projections", "status"])
            .output()
            .unwrap()
            .status
            .success()
    );
    // ...and then the store file is made read-only.
    let store = data.join("events.db");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o400)).unwrap();
    let up = run(&[
        "up",
        "--grpc-addr",
        "127.0.0.1:0",
        "--http-addr",
        "127.0.0.1:0",
    ]);
    let (status, said) = support::binary::exit_of(up);
    assert!(
        status.is_some_and(|s| !s.success()),
        "up must refuse to start on a store it cannot write: {status:?} {said}"
    );
    assert!(said.contains("cannot be written"), "{said}");
}
