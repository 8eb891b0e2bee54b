//! The Lease election against recorded Kubernetes API exchanges: a
//! `tower-test` mock stands where the API server would, each request is
//! checked (method, path, body) and answered with what a real API server
//! answers (Lease objects, `Status` errors). No cluster runs here. Time is
//! Tokio's paused clock, so lease expiry takes no real time.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use minsheng_leader::kube_lease::{KubeLease, LeaseConfig};
use minsheng_leader::{LeaderElection, Leadership};
use serde_json::{Value, json};
use tokio::time::Instant;
use tower_test::mock::{Handle, SendResponse};

type ApiServer = Handle<Request<Body>, Response<Body>>;

const NAME: &str = "metrics-projector";
const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/minsheng/leases";

fn election() -> (KubeLease, ApiServer) {
    let (service, server) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(service, "minsheng");
    let lease = KubeLease::new(client, LeaseConfig::new("minsheng", "pod-a")).unwrap();
    (lease, server)
}

fn lease(holder: Option<&str>, version: u64, transitions: i32) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": NAME,
            "namespace": "minsheng",
            "resourceVersion": version.to_string(),
            "uid": "5c1e6e5e-2f6b-4c8e-9d3b-1f0c2f6a7b10"
        },
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": 15,
            "acquireTime": "2026-11-28T08:00:00.000000Z",
            "renewTime": "2026-11-28T08:00:10.000000Z",
            "leaseTransitions": transitions
        }
    })
}

fn status(code: u16, reason: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": format!("leases.coordination.k8s.io \"{NAME}\": {reason}"),
        "reason": reason,
        "details": {"name": NAME, "group": "coordination.k8s.io", "kind": "leases"},
        "code": code
    })
}

/// The next request, checked to be `method` on `path`, with its JSON body.
async fn expect(
    server: &mut ApiServer,
    method: Method,
    path: &str,
) -> (Value, SendResponse<Response<Body>>) {
    let (request, reply) = tokio::time::timeout(Duration::from_secs(600), server.next_request())
        .await
        .expect("a request in time")
        .expect("the client is alive");
    assert_eq!((request.method(), request.uri().path()), (&method, path));
    let bytes = request.into_body().collect_bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (body, reply)
}

fn answer(reply: SendResponse<Response<Body>>, code: StatusCode, body: &Value) {
    reply.send_response(
        Response::builder()
            .status(code)
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap(),
    );
}

fn lease_path() -> String {
    format!("{LEASES}/{NAME}")
}

/// Runs the exchanges by which pod-a creates the Lease, and returns its leadership.
async fn lead_from_scratch(election: KubeLease, server: &mut ApiServer) -> Leadership {
    let acquiring = tokio::spawn(async move { election.acquire(NAME).await.unwrap() });
    let (_, reply) = expect(server, Method::GET, &lease_path()).await;
    answer(reply, StatusCode::NOT_FOUND, &status(404, "NotFound"));
    let (created, reply) = expect(server, Method::POST, LEASES).await;
    assert_eq!(created["metadata"]["name"], NAME);
    assert_eq!(created["spec"]["holderIdentity"], "pod-a");
    assert_eq!(created["spec"]["leaseDurationSeconds"], 15);
    assert_eq!(created["spec"]["leaseTransitions"], 0);
    answer(reply, StatusCode::CREATED, &lease(Some("pod-a"), 1, 0));
    let leadership = acquiring.await.unwrap();
    assert!(leadership.is_leading());
    leadership
}

#[tokio::test(start_paused = true)]
async fn a_replica_creates_the_missing_lease_renews_it_and_releases_it_on_shutdown() {
    let (election, mut server) = election();
    let leadership = lead_from_scratch(election, &mut server).await;

    // A renewal: read, then write back with the version read (optimistic lock).
    let (_, reply) = expect(&mut server, Method::GET, &lease_path()).await;
    answer(reply, StatusCode::OK, &lease(Some("pod-a"), 1, 0));
    let (renewed, reply) = expect(&mut server, Method::PUT, &lease_path()).await;
    assert_eq!(renewed["metadata"]["resourceVersion"], "1");
    assert_eq!(renewed["spec"]["holderIdentity"], "pod-a");
    assert_eq!(renewed["spec"]["leaseTransitions"], 0);
    answer(reply, StatusCode::OK, &lease(Some("pod-a"), 2, 0));
    assert!(leadership.is_leading());

    // Shutdown: the holder is cleared so a rival need not wait 15 s.
    let releasing = tokio::spawn(leadership.release());
    let (_, reply) = expect(&mut server, Method::GET, &lease_path()).await;
    answer(reply, StatusCode::OK, &lease(Some("pod-a"), 2, 0));
    let (released, reply) = expect(&mut server, Method::PUT, &lease_path()).await;
    assert!(
        released["spec"]
            .get("holderIdentity")
            .is_none_or(Value::is_null)
    );
    assert_eq!(released["spec"]["leaseDurationSeconds"], 1);
    assert_eq!(released["metadata"]["resourceVersion"], "2");
    answer(reply, StatusCode::OK, &lease(None, 3, 0));
    releasing.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_rival_that_stopped_renewing_is_taken_over_after_the_lease_duration() {
    let (election, mut server) = election();
    let started = Instant::now();
    let acquiring = tokio::spawn(async move { election.acquire(NAME).await.unwrap() });
    // pod-b holds version 7 and never renews it.
    let mut reads = 0;
    let taken = loop {
        let (request, reply) =
            tokio::time::timeout(Duration::from_secs(600), server.next_request())
                .await
                .unwrap()
                .unwrap();
        if request.method() == Method::PUT {
            break (request, reply);
        }
        assert_eq!(request.method(), Method::GET);
        reads += 1;
        answer(reply, StatusCode::OK, &lease(Some("pod-b"), 7, 3));
    };
    let (request, reply) = taken;
    let body: Value =
        serde_json::from_slice(&request.into_body().collect_bytes().await.unwrap()).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(15),
        "took over after {:?}",
        started.elapsed()
    );
    assert!(reads >= 8, "{reads} reads");
    assert_eq!(body["spec"]["holderIdentity"], "pod-a");
    assert_eq!(
        body["spec"]["leaseTransitions"], 4,
        "one more change of holder"
    );
    assert_eq!(body["metadata"]["resourceVersion"], "7");
    answer(reply, StatusCode::OK, &lease(Some("pod-a"), 8, 4));
    assert!(acquiring.await.unwrap().is_leading());
}

#[tokio::test(start_paused = true)]
async fn a_rival_that_keeps_renewing_keeps_the_lease() {
    let (election, mut server) = election();
    let acquiring = tokio::spawn(async move { election.acquire(NAME).await });
    // Two minutes of pod-b renewing every time we look: we never write.
    for version in 10..70 {
        let (_, reply) = expect(&mut server, Method::GET, &lease_path()).await;
        answer(reply, StatusCode::OK, &lease(Some("pod-b"), version, 3));
    }
    assert!(!acquiring.is_finished());
    acquiring.abort();
}

#[tokio::test(start_paused = true)]
async fn of_two_replicas_creating_the_lease_at_once_the_one_refused_does_not_lead() {
    let (election, mut server) = election();
    let acquiring = tokio::spawn(async move { election.acquire(NAME).await });
    let (_, reply) = expect(&mut server, Method::GET, &lease_path()).await;
    answer(reply, StatusCode::NOT_FOUND, &status(404, "NotFound"));
    let (_, reply) = expect(&mut server, Method::POST, LEASES).await;
    answer(reply, StatusCode::CONFLICT, &status(409, "AlreadyExists"));
    // It reads again and finds the winner.
    let (_, reply) = expect(&mut server, Method::GET, &lease_path()).await;
    answer(reply, StatusCode::OK, &lease(Some("pod-b"), 1, 0));
    let (_, reply) = expect(&mut server, Method::GET, &lease_path()).await;
    assert!(!acquiring.is_finished(), "not leading");
    answer(reply, StatusCode::OK, &lease(Some("pod-b"), 2, 0));
    acquiring.abort();
}

#[tokio::test(start_paused = true)]
async fn leadership_is_lost_when_renewals_fail_past_the_deadline() {
    let (election, mut server) = election();
    let mut leadership = lead_from_scratch(election, &mut server).await;
    let since = Instant::now();
    let mut failures = 0;
    // The API server answers every renewal with an error.
    while let Ok(Some((request, reply))) =
        tokio::time::timeout(Duration::from_secs(60), server.next_request()).await
    {
        assert_eq!(request.method(), Method::GET);
        failures += 1;
        answer(
            reply,
            StatusCode::INTERNAL_SERVER_ERROR,
            &status(500, "InternalError"),
        );
    }
    tokio::time::timeout(Duration::from_secs(1), leadership.lost())
        .await
        .expect("lost");
    assert!(!leadership.is_leading());
    assert!(failures >= 4, "{failures} failed renewals");
    assert!(
        since.elapsed() >= Duration::from_secs(10),
        "kept leading for the 10 s renew deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn leadership_is_lost_at_once_when_another_holder_appears() {
    let (election, mut server) = election();
    let mut leadership = lead_from_scratch(election, &mut server).await;
    let (_, reply) = expect(&mut server, Method::GET, &lease_path()).await;
    answer(reply, StatusCode::OK, &lease(Some("pod-b"), 5, 1));
    tokio::time::timeout(Duration::from_secs(1), leadership.lost())
        .await
        .expect("lost at once");
    // No write after that: the keeper stopped.
    let next = tokio::time::timeout(Duration::from_secs(60), server.next_request()).await;
    assert!(!matches!(next, Ok(Some(_))), "no more requests");
}

#[tokio::test]
async fn impossible_timings_and_identities_are_refused() {
    let (service, _server) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(service, "minsheng");
    let mut config = LeaseConfig::new("minsheng", "pod-a");
    config.timings.renew_deadline = Duration::from_secs(20);
    assert!(KubeLease::new(client.clone(), config).is_err());
    let config = LeaseConfig::new("minsheng", "");
    assert!(KubeLease::new(client, config).is_err());
}

#[tokio::test]
async fn a_lease_name_must_be_an_object_name() {
    let (election, _server) = election();
    let refused = election.acquire("Metrics_Projector").await.unwrap_err();
    assert!(
        refused.to_string().contains("Metrics_Projector"),
        "{refused}"
    );
}
