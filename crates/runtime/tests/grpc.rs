//! gRPC serving through a whole process, over a real socket on loopback,
//! with the test-only `notebook` target (see `support`).

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use minsheng_runtime::auth::{Claims, TokenKeys};
use support::{AppOptions, SAY, SERVICE, channel, keys, officer_token, say, spawn_app};
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_is_heard_and_everyone_else_is_refused_with_the_right_code() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), AppOptions::default()).await;
    let ch = channel(app.grpc).await;
    let officer = officer_token("officer-7");
    assert_eq!(
        say(ch.clone(), Some(&officer), "hello").await.unwrap(),
        "officer-7: hello"
    );

    let code = |r: Result<String, Status>| r.unwrap_err().code();
    assert_eq!(
        code(say(ch.clone(), None, "hello").await),
        Code::Unauthenticated
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let stale = Claims {
        sub: "officer-7".into(),
        roles: vec!["officer".into()],
        iat: now - 7200,
        exp: now - 3600,
        institution: None,
    };
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &stale,
        &jsonwebtoken::EncodingKey::from_secret(b"the test deployment's signing key"),
    )
    .unwrap();
    let refused = say(ch.clone(), Some(&expired), "hello").await.unwrap_err();
    assert_eq!(
        (refused.code(), refused.message()),
        (Code::Unauthenticated, "token expired")
    );
    let forged = TokenKeys::from_secret(b"someone else's key, not ours!!!!")
        .mint("officer-7", &["officer".into()], Duration::from_secs(600))
        .unwrap();
    assert_eq!(
        code(say(ch.clone(), Some(&forged), "hello").await),
        Code::Unauthenticated
    );
    let reader = keys()
        .mint("reader-1", &["iot-reader".into()], Duration::from_secs(600))
        .unwrap();
    assert_eq!(
        code(say(ch.clone(), Some(&reader), "hello").await),
        Code::PermissionDenied
    );

    // Every call above is counted once, with its final code.
    let metrics = app.metrics().await;
    let count = |code: &str| -> u64 {
        let prefix =
            format!("minsheng_grpc_server_calls_total{{method=\"{SAY}\",code=\"{code}\"}} ");
        support::sample(&metrics, &prefix).map_or(0, |v| v as u64)
    };
    assert_eq!(count("Ok"), 1, "{metrics}");
    assert_eq!(count("Unauthenticated"), 3, "{metrics}");
    assert_eq!(count("PermissionDenied"), 1, "{metrics}");
    assert!(
        metrics.contains(&format!(
            "minsheng_grpc_server_call_seconds_count{{method=\"{SAY}\"}} 5"
        )),
        "{metrics}"
    );
    app.stop(Duration::from_secs(20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_reflection_answer_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), AppOptions::default()).await;
    let mut health = HealthClient::new(channel(app.grpc).await);
    for service in ["", SERVICE] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }

    let mut reflection = ServerReflectionClient::new(channel(app.grpc).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
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
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );
    app.stop(Duration::from_secs(20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_request_is_refused_before_the_handler_runs() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), AppOptions::default()).await;
    // The documented 1 MiB (one NATS message), not the code's default:
    // raising the default alone must fail here.
    let limit = 1024 * 1024;
    let huge = "x".repeat(limit + 1);
    let refused = say(
        channel(app.grpc).await,
        Some(&officer_token("officer-7")),
        &huge,
    )
    .await
    .unwrap_err();
    // tonic answers OUT_OF_RANGE, naming the size and the limit.
    assert_eq!(refused.code(), Code::OutOfRange, "{refused:?}");
    assert!(refused.message().contains("too large"), "{refused:?}");
    assert!(refused.message().contains("1048576"), "{refused:?}");
    app.stop(Duration::from_secs(20)).await;
}

/// Appends that wait until the gate opens: a handler that takes as long
/// as the test says.
#[derive(Debug)]
struct HeldWrites {
    gate: tokio::sync::watch::Receiver<bool>,
}

#[async_trait::async_trait]
impl minsheng_eventstore::interposed::Interpose for HeldWrites {
    async fn before_append(
        &self,
        _inner: &dyn minsheng_eventstore::EventStore,
        _stream: &minsheng_eventstore::StreamName,
        _events: &[minsheng_eventstore::NewEvent],
    ) -> Result<(), minsheng_eventstore::StoreError> {
        let _ = self.gate.clone().wait_for(|open| *open).await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_without_a_deadline_gets_the_servers_and_a_clients_longer_deadline_wins() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = minsheng_runtime::store::open(
        &format!("sqlite://{}", dir.path().join("events.db").display()),
        1,
    )
    .await
    .unwrap();
    let (open, gate) = tokio::sync::watch::channel(false);
    let store = std::sync::Arc::new(minsheng_eventstore::interposed::Interposed {
        inner: sqlite,
        hooks: HeldWrites { gate },
    });
    let limits = minsheng_runtime::grpc::GrpcLimits {
        timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let app = support::spawn_app_on(
        store,
        AppOptions {
            limits,
            ..AppOptions::default()
        },
    )
    .await;
    let ch = channel(app.grpc).await;
    let token = officer_token("officer-7");
    // Sent first, with the client's own deadline of 20 s: it waits for the
    // store as long as that.
    let patient = tokio::spawn({
        let (ch, token) = (ch.clone(), token.clone());
        async move {
            let within = [("grpc-timeout", "20S")];
            support::write(ch, Some(&token), support::note("n1", "a"), &within).await
        }
    });
    // Sent without a deadline: cut at the server's 200 ms, as
    // DEADLINE_EXCEEDED (which clients retry), and nothing is written.
    let cut = support::write(ch.clone(), Some(&token), support::note("n2", "b"), &[])
        .await
        .unwrap_err();
    assert_eq!(cut.code(), Code::DeadlineExceeded, "{cut:?}");
    // The first call has now waited longer than the server's default.
    open.send(true).unwrap();
    assert_eq!(
        patient.await.unwrap().unwrap(),
        1,
        "the client's deadline won"
    );
    let n2 = minsheng_eventstore::StreamName::parse("testing.note.n2").unwrap();
    assert!(
        app.store.read_stream(&n2, 1, 10).await.is_err(),
        "n2 was not written"
    );
    app.stop(Duration::from_secs(20)).await;
}
