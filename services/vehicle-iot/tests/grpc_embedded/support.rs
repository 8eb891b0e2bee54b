//! A whole process serving the vehicle-iot target on port 0, over the
//! embedded store or a testkit nats-server, and clients with tokens for
//! each role.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minsheng_eventstore::{Context, EventStore, Position};
use minsheng_proto::vehicle::v1 as pb;
use minsheng_runtime::auth::TokenKeys;
pub use minsheng_runtime::clock::{Clock, ManualClock, SystemClock};
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::target::Target;
use minsheng_vehicle_iot::VehicleIotTarget;
use tonic::Request;
use tonic::transport::Channel;

pub const RESIDENT: &str = "11010519491231002X";

pub fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the vehicle tests' signing key!!")
}

/// One vault for every process of this test binary, as one deployment
/// has one: a process started again on a store opens what the last sealed.
pub fn vault() -> Arc<minsheng_vault::Vault> {
    static VAULT: std::sync::LazyLock<Arc<minsheng_vault::Vault>> =
        std::sync::LazyLock::new(minsheng_runtime::personal_data::ephemeral);
    VAULT.clone()
}

pub struct App {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub store: Arc<dyn EventStore>,
    process: LocalProcess,
}

pub async fn spawn_on(store: Arc<dyn EventStore>) -> App {
    spawn_on_clock(store, Arc::new(SystemClock)).await
}

/// [`spawn_on`], on `clock`: a test's [`ManualClock`] moves time for it.
pub async fn spawn_on_clock(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> App {
    let target: Arc<dyn Target> = Arc::new(VehicleIotTarget::default());
    let process = local::start_with_clock(
        store.clone(),
        &[target],
        keys(),
        person_keys(),
        vault(),
        clock,
    )
    .await
    .unwrap();
    App {
        grpc: process.grpc,
        http: process.http,
        store,
        process,
    }
}

pub fn person_keys() -> PersonKeys {
    PersonKeys::from_secret(b"the vehicle tests' person key...")
}

pub async fn spawn_embedded(dir: &std::path::Path) -> App {
    spawn_embedded_on_clock(dir, Arc::new(SystemClock)).await
}

pub async fn spawn_embedded_on_clock(dir: &std::path::Path, clock: Arc<dyn Clock>) -> App {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    let store = minsheng_runtime::store::open(&url, 1).await.unwrap();
    spawn_on_clock(store, clock).await
}

pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    minsheng_testkit::http_get_async(addr, path).await.unwrap()
}

impl App {
    pub async fn stop(self) {
        self.process.stop().await.unwrap();
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .unwrap()
    }

    pub async fn ebikes(&self) -> pb::ebikes_client::EbikesClient<Channel> {
        pb::ebikes_client::EbikesClient::new(self.channel().await)
    }

    pub async fn readers(&self) -> pb::readers_client::ReadersClient<Channel> {
        pb::readers_client::ReadersClient::new(self.channel().await)
    }

    pub async fn sightings(&self) -> pb::sightings_client::SightingsClient<Channel> {
        pb::sightings_client::SightingsClient::new(self.channel().await)
    }

    pub async fn cards(&self) -> pb::resident_cards_client::ResidentCardsClient<Channel> {
        pb::resident_cards_client::ResidentCardsClient::new(self.channel().await)
    }

    pub async fn rooms(&self) -> pb::rental_rooms_client::RentalRoomsClient<Channel> {
        pb::rental_rooms_client::RentalRoomsClient::new(self.channel().await)
    }
}

/// `message` as `role` would send it.
pub fn as_role<T>(role: &str, message: T) -> Request<T> {
    keys()
        .request_as(&format!("{role}-1"), role, None, message)
        .unwrap()
}

pub fn with_request_id<T>(mut request: Request<T>, id: &str) -> Request<T> {
    request
        .metadata_mut()
        .insert("x-request-id", id.parse().unwrap());
    request
}

pub fn now() -> prost_types::Timestamp {
    let now = chrono::Utc::now();
    prost_types::Timestamp {
        seconds: now.timestamp(),
        nanos: 0,
    }
}

/// The bike on `tag`, with frame and motor numbers of its own (made from
/// the tag's last 10 digits: two bikes never share them by accident).
pub fn registration(tag: &str) -> pb::RegisterEbikeRequest {
    let serial = &tag[tag.len().saturating_sub(10)..];
    pb::RegisterEbikeRequest {
        tag_id: tag.into(),
        owner_resident_id: RESIDENT.into(),
        owner_phone: "13812345678".into(),
        frame_number: format!("FR{serial}"),
        motor_number: format!("MO{serial}"),
        plate: "浙C12345".into(),
        district: "lucheng".into(),
    }
}

pub fn reader(id: &str, district: &str) -> pb::InstallReaderRequest {
    pb::InstallReaderRequest {
        reader_id: id.into(),
        latitude: 28.0,
        longitude: 120.65,
        district: district.into(),
    }
}

pub fn theft(tag: &str) -> pb::ReportStolenRequest {
    pb::ReportStolenRequest {
        tag_id: tag.into(),
        case_id: "WZ-2015-0001".into(),
        stolen_at: Some(now()),
        place: "outside the night market".into(),
        owner_resident_id: String::new(),
    }
}

pub fn sighting(tag: &str, reader: &str) -> pb::Sighting {
    pb::Sighting {
        tag_id: tag.into(),
        reader_id: reader.into(),
        seen_at: Some(now()),
    }
}

/// One sighting of `tag` by `reader`, now, sent as a batch: its summary.
pub async fn seen_by(app: &App, tag: &str, reader: &str) -> pb::SightingSummary {
    app.sightings()
        .await
        .record_sighting_batch(as_role(
            "iot-reader",
            pb::SightingBatch {
                sightings: vec![sighting(tag, reader)],
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

pub const TAG: &str = "E20000172211010218905BD1";
pub const CLEAN_TAG: &str = "E20000172211010218905BD2";

pub async fn events_in(app: &App) -> usize {
    app.store
        .read_all(
            &Context::parse("vehicle").unwrap(),
            Position::START,
            100_000,
        )
        .await
        .unwrap()
        .len()
}

/// A reader in Lucheng, two bikes, one of them reported stolen.
pub async fn city_with_a_stolen_bike(app: &App) {
    app.readers()
        .await
        .install_reader(as_role("iot-admin", reader("RD-LC-0001", "lucheng")))
        .await
        .unwrap();
    let mut ebikes = app.ebikes().await;
    ebikes
        .register_ebike(as_role("registration-clerk", registration(TAG)))
        .await
        .unwrap();
    ebikes
        .register_ebike(as_role("registration-clerk", registration(CLEAN_TAG)))
        .await
        .unwrap();
    ebikes
        .report_stolen(as_role("officer", theft(TAG)))
        .await
        .unwrap();
}

/// Waits until the live read models have seen every event written so far.
pub async fn stolen_known(app: &App) {
    caught_up(app).await;
}

/// The process's read models have seen every vehicle event written so far.
pub async fn caught_up(app: &App) {
    app.process.caught_up("vehicle").await.unwrap();
}
