//! The `vehicle-iot` target: what the runtime serves for this context.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use minsheng_eventstore::{CommandRunner, Context};
use minsheng_proto::vehicle::v1 as pb;
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};

use crate::app::VehicleApp;
use crate::deadlines::TheftConfirmationDeadlines;
use crate::domain::sighting::SightingDesk;
use crate::grpc::{EbikesApi, ReadersApi, RentalRoomsApi, ResidentCardsApi, SightingsApi};
use crate::live::{self, LiveView};
use crate::metrics::SightingMetrics;

pub const NAME: &str = "vehicle-iot";

const CLERK: &str = "registration-clerk";
pub(crate) const OFFICER: &str = "officer";
const READER: &str = "iot-reader";
const IOT_ADMIN: &str = "iot-admin";
/// The bureau's public-service platform, acting for residents it has
/// verified: they report their own bikes stolen and answer officers'
/// reports through it.
pub(crate) const OWNER_GATEWAY: &str = "owner-gateway";
const DATA_PROTECTION_OFFICER: &str = "data-protection-officer";

#[derive(Clone, Debug)]
pub struct VehicleIotConfig {
    /// Two sightings of a stolen tag at one reader closer than this are one hit.
    pub hit_window: Duration,
    /// Personal values sealed before they are recorded. Off only for the
    /// load generator's baseline (what sealing costs); no flag of the
    /// binary turns it off.
    pub seal_personal_data: bool,
    /// An owner's time to confirm an officer's theft report before it goes
    /// to review (a policy setting).
    pub theft_confirmation_window: Duration,
}

impl Default for VehicleIotConfig {
    fn default() -> Self {
        VehicleIotConfig {
            hit_window: Duration::minutes(5),
            seal_personal_data: true,
            theft_confirmation_window: Duration::hours(48),
        }
    }
}

#[derive(Debug, Default)]
pub struct VehicleIotTarget {
    config: VehicleIotConfig,
}

impl VehicleIotTarget {
    pub fn new(config: VehicleIotConfig) -> Self {
        VehicleIotTarget { config }
    }
}

#[async_trait]
impl Target for VehicleIotTarget {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(
        &self,
        context: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError> {
        let vehicle = Context::parse("vehicle").map_err(TargetError::of(NAME))?;
        let live = LiveView::new(SightingDesk::new(self.config.hit_window));
        let app = Arc::new(
            VehicleApp::new(
                CommandRunner::new(context.store.clone()),
                context.person_keys.clone(),
                context.vault.clone(),
                live.clone(),
                SightingMetrics::register(&context.metrics),
                context.clock.clone(),
            )
            .sealing(self.config.seal_personal_data)
            .confirming_within(self.config.theft_confirmation_window),
        );
        minsheng_runtime::grpc_servers!(
            registration,
            context,
            minsheng_proto::FILE_DESCRIPTOR_SET,
            [
                (
                    pb::ebikes_server::EbikesServer::new(EbikesApi {
                        app: app.clone(),
                        stop: context.shutdown.clone(),
                        audit: context.read_audit.clone(),
                    }),
                    &[
                        ("RegisterEbike", &[CLERK]),
                        ("DeregisterEbike", &[CLERK]),
                        ("ReportStolen", &[OFFICER, OWNER_GATEWAY]),
                        ("RecordRecovery", &[OFFICER]),
                        ("ReturnToOwner", &[OFFICER]),
                        ("RecordCaseSolved", &[OFFICER]),
                        ("GetEbike", &[OFFICER, CLERK]),
                        ("ConfirmTheftReport", &[OWNER_GATEWAY]),
                        ("DisputeTheftReport", &[OWNER_GATEWAY]),
                        ("WatchOwnerNotices", &[OWNER_GATEWAY]),
                        ("ListTheftReviews", &[DATA_PROTECTION_OFFICER]),
                    ]
                ),
                (
                    pb::readers_server::ReadersServer::new(ReadersApi { app: app.clone() }),
                    &[
                        ("InstallReader", &[IOT_ADMIN]),
                        ("RetireReader", &[IOT_ADMIN]),
                    ]
                ),
                (
                    pb::sightings_server::SightingsServer::new(SightingsApi {
                        app: app.clone(),
                        stop: context.shutdown.clone(),
                        audit: context.read_audit.clone(),
                    }),
                    &[
                        ("RecordSightings", &[READER]),
                        ("RecordSightingBatch", &[READER]),
                        ("WatchHits", &[OFFICER]),
                        ("ListHits", &[OFFICER]),
                    ]
                ),
                (
                    pb::resident_cards_server::ResidentCardsServer::new(ResidentCardsApi {
                        app: app.clone(),
                    }),
                    &[
                        ("IssueCard", &[CLERK]),
                        ("RenewCard", &[CLERK]),
                        ("MoveOut", &[CLERK]),
                    ]
                ),
                (
                    pb::rental_rooms_server::RentalRoomsServer::new(RentalRoomsApi {
                        app: app.clone()
                    }),
                    &[
                        ("RegisterRoom", &[CLERK]),
                        ("CheckIn", &[CLERK]),
                        ("CheckOut", &[CLERK]),
                    ]
                ),
            ]
        );
        registration.deadlines(TheftConfirmationDeadlines {
            app: app.clone(),
            context: vehicle.clone(),
        });
        registration.subscription(live::subscriber(live, vehicle));
        Ok(())
    }
}
