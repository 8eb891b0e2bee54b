//! A vehicle-iot process on the embedded store, started in this process on
//! a free port, and a bearer token for each role.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::target::Target;
use minsheng_vehicle_iot::VehicleIotTarget;
use tonic::Request;

pub struct Mesh {
    pub grpc: SocketAddr,
    pub keys: TokenKeys,
    process: LocalProcess,
}

/// Starts vehicle-iot on `sqlite://<dir>/events.db` and waits until ready.
pub async fn start(dir: &std::path::Path) -> anyhow::Result<Mesh> {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    start_with(&url, Arc::new(VehicleIotTarget::default())).await
}

/// Starts `target` on the store at `url` and waits until ready.
pub async fn start_with(url: &str, target: Arc<dyn Target>) -> anyhow::Result<Mesh> {
    start_all(url, &[target]).await
}

/// Starts `targets` in one process on the store at `url`.
pub async fn start_all(url: &str, targets: &[Arc<dyn Target>]) -> anyhow::Result<Mesh> {
    start_audited(url, targets, minsheng_runtime::read_audit::in_memory()).await
}

/// Starts `targets` on the store at `url`, recording reads in `audit`.
pub async fn start_audited(
    url: &str,
    targets: &[Arc<dyn Target>],
    audit: Arc<dyn minsheng_audit::AuditLog>,
) -> anyhow::Result<Mesh> {
    let store = minsheng_runtime::store::open(url, 1).await?;
    let keys = TokenKeys::from_secret(b"the load generator's signing key");
    let person_keys = PersonKeys::from_secret(b"the load generator's person key.");
    let clock = Arc::new(minsheng_runtime::clock::SystemClock);
    let vault = vault(url).await?;
    let process = local::start_audited(
        store,
        targets,
        keys.clone(),
        person_keys,
        vault,
        clock,
        audit,
    )
    .await?;
    Ok(Mesh {
        grpc: process.grpc,
        keys,
        process,
    })
}

/// The vault beside the store at `url`, under the load generator's own
/// master key (so that a store it filled is read by its next run).
pub async fn vault(url: &str) -> anyhow::Result<Arc<minsheng_vault::Vault>> {
    let master = minsheng_vault::MasterKey::from_bytes(b"the load generator's master key!")?;
    Ok(minsheng_runtime::personal_data::open(url, 1, master, None).await?)
}

/// Bike `n` on `tag`, registered to the load generator's one owner, with
/// frame and motor numbers of its own.
pub fn bike(tag: String, n: u64) -> minsheng_proto::vehicle::v1::RegisterEbikeRequest {
    minsheng_proto::vehicle::v1::RegisterEbikeRequest {
        tag_id: tag,
        owner_resident_id: "11010519491231002X".into(),
        owner_phone: "13812345678".into(),
        frame_number: format!("FRAME{n:08}"),
        motor_number: format!("MOTOR{n:08}"),
        plate: "浙C12345".into(),
        district: "lucheng".into(),
    }
}

impl Mesh {
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
        minsheng_runtime::auth::attach_bearer(&mut request, &token)?;
        Ok(request)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        Ok(self.process.stop().await?)
    }
}
