//! A vehicle-iot process on the embedded store, started in this process on
//! a free port, and a bearer token for each role.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::grpc::GrpcLimits;
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::process::{self, ProcessConfig};
use minsheng_runtime::shutdown::Shutdown;
use minsheng_runtime::target::Target;
use minsheng_vehicle_iot::VehicleIotTarget;
use tonic::Request;

pub struct Mesh {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub keys: TokenKeys,
    pub shutdown: Shutdown,
    pub stopped: tokio::task::JoinHandle<Result<(), process::ProcessError>>,
}

/// Starts vehicle-iot on `sqlite://<dir>/events.db` and waits until ready.
pub async fn start(dir: &std::path::Path) -> anyhow::Result<Mesh> {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    start_with(&url, Arc::new(VehicleIotTarget::default())).await
}

/// Starts `target` on the store at `url` and waits until ready.
pub async fn start_with(url: &str, target: Arc<dyn Target>) -> anyhow::Result<Mesh> {
    let store = minsheng_runtime::store::open(url, 1).await?;
    let keys = TokenKeys::from_secret(b"the load generator's signing key");
    let shutdown = Shutdown::new();
    let config = ProcessConfig {
        grpc_addr: "127.0.0.1:0".parse()?,
        http_addr: "127.0.0.1:0".parse()?,
        limits: GrpcLimits::default(),
        keys: keys.clone(),
        drain_delay: Duration::ZERO,
        shutdown_grace: Duration::from_secs(5),
        leader: Arc::new(minsheng_leader::AlwaysLeader::new()),
        person_keys: PersonKeys::from_secret(b"the load generator's person key."),
    };
    let running = process::start(config, store, &[target], shutdown.clone()).await?;
    let mesh = Mesh {
        grpc: running.grpc_addr,
        http: running.http_addr,
        keys,
        shutdown,
        stopped: tokio::spawn(running.wait()),
    };
    mesh.wait_ready().await?;
    Ok(mesh)
}

impl Mesh {
    pub async fn wait_ready(&self) -> anyhow::Result<()> {
        let http = self.http;
        loop {
            let (status, _) =
                tokio::task::spawn_blocking(move || minsheng_testkit::http_get(http, "/readyz"))
                    .await??;
            if status == 200 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn as_role<T>(&self, role: &str, message: T) -> anyhow::Result<Request<T>> {
        self.as_partner(role, None, message)
    }

    /// `role`'s token, naming `institution` if given.
    pub fn as_partner<T>(
        &self,
        role: &str,
        institution: Option<&str>,
        message: T,
    ) -> anyhow::Result<Request<T>> {
        let token = self.keys.mint_for(
            "load-1",
            &[role.to_owned()],
            institution,
            Duration::from_secs(3600),
        )?;
        let mut request = Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        Ok(request)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        self.stopped.await??;
        Ok(())
    }
}
