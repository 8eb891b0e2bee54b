//! The real `minsheng` binary as a child process, on loopback ports it
//! picks itself (port 0) and prints.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tonic::transport::Channel;

/// A started binary; killed when dropped unless it has already exited.
pub struct Running {
    pub child: Child,
    /// Its standard output, line by line.
    pub lines: mpsc::Receiver<String>,
    pub grpc: SocketAddr,
    pub http: SocketAddr,
}

impl Running {
    /// SIGTERM, then the process must say it stopped and exit 0 (within
    /// 20 s).
    pub fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill runs")
                .success()
        );
        let status = wait_for_exit(&mut self.child, Duration::from_secs(20))
            .expect("stops within 20 s of SIGTERM");
        assert!(status.success(), "exit status {status}");
        let said: Vec<String> = self.lines.try_iter().collect();
        assert!(said.iter().any(|l| l.ends_with("stopped")), "{said:?}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `minsheng --data-dir <dir> <args> --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0`.
pub fn minsheng(args: &[&str], data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_minsheng"));
    command.arg("--data-dir").arg(data_dir).args(args).args([
        "--grpc-addr",
        "127.0.0.1:0",
        "--http-addr",
        "127.0.0.1:0",
    ]);
    command
}

/// `minsheng serve --target <target> --store <nats>` as the replica
/// `identity`, electing the replica that runs each singleton on the store's
/// NATS (`--leader-election nats-kv`), with `more` arguments.
pub fn serve_replica(
    data_dir: &std::path::Path,
    nats: &str,
    target: &str,
    identity: &str,
    more: &[&str],
) -> Running {
    let mut args = vec![
        "serve",
        "--target",
        target,
        "--store",
        nats,
        "--drain-delay",
        "0s",
        "--leader-election",
        "nats-kv",
        "--lease-identity",
        identity,
    ];
    args.extend_from_slice(more);
    start(minsheng(&args, data_dir))
}

/// Starts the binary, reads the addresses it prints and waits (up to 60 s)
/// for it to say it is ready: it listens before its subscriptions have
/// caught up, and health says NOT_SERVING until then.
pub fn start(command: Command) -> Running {
    start_logging(command, Stdio::null())
}

/// [`start`], its standard error (the logs) going to `logs`.
pub fn start_logging(mut command: Command, logs: impl Into<Stdio>) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(logs)
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
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
    let (mut grpc, mut http, mut ready) = (None, None, false);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the binary prints its addresses, then that it is ready");
        grpc = grpc.or_else(|| address_after(&line, "gRPC on "));
        http = http.or_else(|| address_after(&line, "HTTP on "));
        ready = line.ends_with(": ready");
    }
    Running {
        child,
        lines,
        grpc: grpc.expect("read above"),
        http: http.expect("read above"),
    }
}

pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a loopback address is a valid URI")
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("the binary accepts gRPC connections")
}

/// Runs `command` expecting it to stop on its own within 20 s (killed if
/// it does not): how it exited, if it did, and what it said on stderr.
pub fn exit_of(mut command: Command) -> (Option<std::process::ExitStatus>, String) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let status = wait_for_exit(&mut child, Duration::from_secs(20));
    if status.is_none() {
        let _ = child.kill();
    }
    let mut said = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut said);
    (status, said)
}

/// Waits up to `within` for `child` to exit.
pub fn wait_for_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
