//! `minsheng.privacy.v1.Privacy`: requests parsed at the edge, the use
//! case run, the outcome mapped back (one mapping, [`to_status`]).

use std::sync::Arc;

use minsheng_proto::privacy::v1 as pb;
use minsheng_runtime::grpc::command::{command_context, timestamp};
use minsheng_runtime::grpc::status;
use minsheng_values::ResidentId;
use tonic::{Request, Response, Status};

use crate::app::{AppError, PrivacyApp};

#[derive(Clone, Debug)]
pub struct PrivacyApi {
    pub(crate) app: Arc<PrivacyApp>,
}

fn to_status(error: &AppError) -> Status {
    match error {
        AppError::Held(_) => Status::failed_precondition(error.to_string()),
        AppError::Record(e) => status::from_command(e, |never| match *never {}),
        AppError::Store(e) => status::from_store(e),
        AppError::Vault(e) => minsheng_runtime::personal_data::status(e),
    }
}

impl PrivacyApi {
    fn resident(&self, text: &str) -> Result<ResidentId, Status> {
        ResidentId::parse("resident_id", text, self.app.today())
            .map_err(|e| status::invalid_field(e.field, e.expected))
    }
}

#[tonic::async_trait]
impl pb::privacy_server::Privacy for PrivacyApi {
    async fn forget(
        &self,
        request: Request<pb::ForgetRequest>,
    ) -> Result<Response<pb::Forgotten>, Status> {
        let person = self
            .app
            .person(&self.resident(&request.get_ref().resident_id)?);
        let context = command_context(&request)?;
        let had_key = self
            .app
            .forget(person, &context)
            .await
            .map_err(|e| to_status(&e))?;
        Ok(Response::new(pb::Forgotten { had_key }))
    }

    async fn export_personal_data(
        &self,
        request: Request<pb::ExportPersonalDataRequest>,
    ) -> Result<Response<pb::PersonalDataExport>, Status> {
        let person = self
            .app
            .person(&self.resident(&request.get_ref().resident_id)?);
        let context = command_context(&request)?;
        let held = self
            .app
            .export(person, &context)
            .await
            .map_err(|e| to_status(&e))?;
        let events = held
            .into_iter()
            .map(|h| pb::HeldEvent {
                stream: h.event.stream.as_str().to_owned(),
                version: h.event.version,
                event_type: h.event.event_type,
                schema_version: u32::from(h.event.schema_version),
                recorded_at: Some(timestamp(h.event.recorded_at)),
                payload_json: h.payload.to_string(),
            })
            .collect();
        Ok(Response::new(pb::PersonalDataExport { events }))
    }
}
