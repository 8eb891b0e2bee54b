//! `minsheng.vehicle.v1.Ebikes`.

use std::sync::Arc;

use minsheng_runtime::auth::Caller;
use minsheng_runtime::masking;
use minsheng_runtime::read_audit::{Item, ReadAudit, Reader};
use minsheng_runtime::shutdown::Shutdown;
use minsheng_vault::Opened;
use tonic::{Request, Response, Status};

use super::theft_reports;
use super::{command_context, invalid, pb, to_status, written};
use crate::app::VehicleApp;
use crate::domain::ebike::{EbikeCommand, EbikeStatus, Registration};
use crate::domain::values::{self, District, Phone, ResidentId, TagId, Text};

#[derive(Clone, Debug)]
pub struct EbikesApi {
    pub(crate) app: Arc<VehicleApp>,
    /// Owners' notice watches end when the servers stop.
    pub(crate) stop: Shutdown,
    /// A bike read is recorded against its owner.
    pub(crate) audit: ReadAudit,
}

const GET_EBIKE: &str = "minsheng.vehicle.v1.Ebikes/GetEbike";

fn tag(text: &str) -> Result<TagId, Status> {
    TagId::parse("tag_id", text).map_err(invalid)
}

impl EbikesApi {
    async fn run<T>(
        &self,
        request: &Request<T>,
        tag: TagId,
        command: EbikeCommand,
    ) -> Result<Response<pb::Written>, Status> {
        let context = command_context(request)?;
        written(
            self.app.ebike(tag, command, &context).await,
            tag.to_string(),
        )
    }
}

#[tonic::async_trait]
impl pb::ebikes_server::Ebikes for EbikesApi {
    async fn register_ebike(
        &self,
        request: Request<pb::RegisterEbikeRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let now = self.app.now();
        let today = now.date_naive();
        let tag = tag(&r.tag_id)?;
        let owner =
            ResidentId::parse("owner_resident_id", &r.owner_resident_id, today).map_err(invalid)?;
        let phone = Phone::parse("owner_phone", &r.owner_phone).map_err(invalid)?;
        // Everything the request says is checked before sealing writes a
        // data key: its metadata too.
        let context = command_context(&request)?;
        let owner = self.app.person(&owner);
        let registration = Registration {
            frame_number: values::serial_number("frame_number", &r.frame_number)
                .map_err(invalid)?,
            motor_number: values::serial_number("motor_number", &r.motor_number)
                .map_err(invalid)?,
            plate: values::plate("plate", &r.plate).map_err(invalid)?,
            district: District::parse("district", &r.district).map_err(invalid)?,
            owner_phone: self
                .app
                .seal(&owner, &phone)
                .await
                .map_err(|e| to_status(&e))?,
            owner,
        };
        written(
            self.app
                .register_ebike(tag, registration, now, &context)
                .await,
            tag.to_string(),
        )
    }

    async fn report_stolen(
        &self,
        request: Request<pb::ReportStolenRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let tag = tag(&request.get_ref().tag_id)?;
        let command = theft_reports::report(&self.app, &request, tag)?;
        self.run(&request, tag, command).await
    }

    async fn confirm_theft_report(
        &self,
        request: Request<pb::OwnerAnswer>,
    ) -> Result<Response<pb::Written>, Status> {
        let (tag, owner) = theft_reports::answer(&self.app, request.get_ref())?;
        self.run(&request, tag, EbikeCommand::ConfirmTheft { owner })
            .await
    }

    async fn dispute_theft_report(
        &self,
        request: Request<pb::OwnerAnswer>,
    ) -> Result<Response<pb::Written>, Status> {
        let (tag, owner) = theft_reports::answer(&self.app, request.get_ref())?;
        self.run(&request, tag, EbikeCommand::DisputeTheft { owner })
            .await
    }

    type WatchOwnerNoticesStream = theft_reports::OwnerNotices;

    async fn watch_owner_notices(
        &self,
        request: Request<pb::WatchOwnerNoticesRequest>,
    ) -> Result<Response<Self::WatchOwnerNoticesStream>, Status> {
        let reader = Reader::of(&request)?;
        let district = match request.get_ref().district.as_str() {
            "" => None,
            text => Some(District::parse("district", text).map_err(invalid)?),
        };
        Ok(Response::new(theft_reports::owner_notices(
            self.app.clone(),
            district,
            (self.audit.clone(), reader),
            self.stop.clone(),
        )))
    }

    async fn list_theft_reviews(
        &self,
        request: Request<pb::ListTheftReviewsRequest>,
    ) -> Result<Response<pb::TheftReviews>, Status> {
        theft_reports::reviews(&self.app, request.get_ref()).map(Response::new)
    }

    async fn record_recovery(
        &self,
        request: Request<pb::RecordRecoveryRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let officer = request
            .extensions()
            .get::<Caller>()
            .map(|c| c.subject.clone())
            .unwrap_or_default();
        let command = EbikeCommand::RecordRecovery {
            officer,
            place: Text::parse("place", &r.place).map_err(invalid)?,
        };
        self.run(&request, tag(&r.tag_id)?, command).await
    }

    async fn return_to_owner(
        &self,
        request: Request<pb::ReturnToOwnerRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let tag = tag(&request.get_ref().tag_id)?;
        self.run(&request, tag, EbikeCommand::ReturnToOwner).await
    }

    async fn record_case_solved(
        &self,
        request: Request<pb::RecordCaseSolvedRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let command = EbikeCommand::RecordCaseSolved {
            suspects: r.suspects,
            theft_and_resale_ring: r.theft_and_resale_ring,
        };
        self.run(&request, tag(&r.tag_id)?, command).await
    }

    async fn deregister_ebike(
        &self,
        request: Request<pb::DeregisterEbikeRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let command = EbikeCommand::Deregister {
            reason: Text::parse("reason", &r.reason).map_err(invalid)?,
        };
        self.run(&request, tag(&r.tag_id)?, command).await
    }

    async fn get_ebike(
        &self,
        request: Request<pb::GetEbikeRequest>,
    ) -> Result<Response<pb::Ebike>, Status> {
        let tag = tag(&request.get_ref().tag_id)?;
        let reader = Reader::of(&request)?;
        let (bike, version) = self
            .app
            .get_ebike(tag)
            .await
            .map_err(|e| to_status(&e))?
            .ok_or_else(|| Status::not_found("no bike was ever registered on this tag"))?;
        let status = match bike.status {
            EbikeStatus::Unregistered => pb::EbikeStatus::Unspecified,
            EbikeStatus::Registered => pb::EbikeStatus::Registered,
            EbikeStatus::Stolen => pb::EbikeStatus::Stolen,
            EbikeStatus::Recovered => pb::EbikeStatus::Recovered,
            EbikeStatus::Deregistered => pb::EbikeStatus::Deregistered,
        };
        let registration = bike.registration.as_ref();
        let read = Item {
            what: "ebike",
            id: tag.to_string(),
            person: registration.map(|r| r.owner.as_str().to_owned()),
        };
        self.audit.record(&reader, GET_EBIKE, [read]).await?;
        let phone = match registration {
            Some(r) => Some(
                self.app
                    .open(&r.owner_phone)
                    .await
                    .map_err(|e| to_status(&e))?,
            ),
            None => None,
        };
        Ok(Response::new(pb::Ebike {
            tag_id: tag.to_string(),
            status: status as i32,
            owner_phone_masked: match &phone {
                Some(Opened::Value(phone)) => masking::phone(phone),
                _ => String::new(),
            },
            owner_forgotten: phone == Some(Opened::Forgotten),
            frame_number: registration
                .map(|r| r.frame_number.clone())
                .unwrap_or_default(),
            motor_number: registration
                .map(|r| r.motor_number.clone())
                .unwrap_or_default(),
            plate: registration.map(|r| r.plate.clone()).unwrap_or_default(),
            district: registration
                .map(|r| r.district.as_str().to_owned())
                .unwrap_or_default(),
            case_id: bike.case_id.clone().unwrap_or_default(),
            hits: bike.hits,
            theft_confirmation: theft_reports::confirmation(bike.confirmation) as i32,
            version,
        }))
    }
}
