//! The real binary in both run modes: `up` on the embedded store and
//! `serve` against a real nats-server, answering health over gRPC and HTTP,
//! and stopping cleanly on SIGTERM.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use minsheng_runtime::auth::TokenKeys;
use minsheng_testkit::{NatsServer, http_get};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    grpc: SocketAddr,
    http: SocketAddr,
}

fn minsheng(args: &[&str], data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_minsheng"));
    command.arg("--data-dir").arg(data_dir).args(args).args([
        "--grpc-addr",
        "127.0.0.1:0",
        "--http-addr",
        "127.0.0.1:0",
    ]);
    command
}

/// Starts the binary and reads the addresses it prints.
fn start(mut command: Command) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let address_after = |line: &str, marker: &str| -> Option<SocketAddr> {
        line.split_once(marker)?
            .1
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let (mut grpc, mut http) = (None, None);
    while grpc.is_none() || http.is_none() {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the binary prints its addresses");
        grpc = grpc.or_else(|| address_after(&line, "gRPC on "));
        http = http.or_else(|| address_after(&line, "HTTP on "));
    }
    Running {
        child,
        lines,
        grpc: grpc.unwrap(),
        http: http.unwrap(),
    }
}

async fn assert_serving(running: &Running) {
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", running.grpc))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
    let http = running.http;
    let (ready, _) = tokio::task::spawn_blocking(move || http_get(http, "/readyz").unwrap())
        .await
        .unwrap();
    assert_eq!(ready, 200);
    let (status, metrics) =
        tokio::task::spawn_blocking(move || http_get(http, "/metrics").unwrap())
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("minsheng_build_info{version=\""),
        "{metrics}"
    );
    // The health check above is counted, with its final code.
    assert!(
        metrics.contains(
            "minsheng_grpc_server_calls_total{method=\"/grpc.health.v1.Health/Check\",code=\"Ok\"} 1"
        ),
        "{metrics}"
    );
}

/// SIGTERM, then the process must say it stopped and exit 0.
fn terminate(mut running: Running) {
    let pid = running.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "did not stop within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    let said: Vec<String> = running.lines.try_iter().collect();
    assert!(said.iter().any(|l| l.ends_with("stopped")), "{said:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_health_on_the_embedded_store_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(minsheng(&["up"], dir.path()));
    assert_serving(&running).await;
    assert!(
        dir.path().join("events.db").exists(),
        "the embedded store is in the data dir"
    );
    assert!(
        dir.path().join("jwt.key").exists(),
        "up creates the key on first start"
    );
    terminate(running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_against_nats_and_stops_on_sigterm() {
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    TokenKeys::load_or_create(&dir.path().join("jwt.key")).unwrap();
    let running = start(minsheng(
        &["serve", "--target", "all", "--store", &nats.url()],
        dir.path(),
    ));
    assert_serving(&running).await;
    terminate(running);
}

#[test]
fn serve_refuses_an_unknown_target_a_missing_key_and_a_bad_store_url() {
    let dir = tempfile::tempdir().unwrap();
    let stderr_of = |args: &[&str]| {
        let out = minsheng(args, dir.path()).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(
        stderr_of(&["serve", "--target", "fraud", "--store", "sqlite://x.db"])
            .contains("unknown target \"fraud\"")
    );
    assert!(
        stderr_of(&["serve", "--target", "all", "--store", "sqlite://x.db"])
            .contains("JWT key file")
    );
    TokenKeys::load_or_create(&dir.path().join("jwt.key")).unwrap();
    assert!(
        stderr_of(&["serve", "--target", "all", "--store", "postgres://db"]).contains("store url")
    );
}
