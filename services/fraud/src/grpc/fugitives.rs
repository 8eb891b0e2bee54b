//! `minsheng.fraud.v1.Fugitives`.

use std::sync::Arc;

use minsheng_values::ResidentId;
use tonic::{Request, Response, Status};

use super::{command_context, date, invalid, new_id, parse_id, pb, written};
use crate::app::FraudApp;
use crate::domain::events::ReturnWay;
use crate::domain::fugitive::FugitiveCommand;
use crate::domain::values::{self, Text};

#[derive(Clone, Debug)]
pub struct FugitivesApi {
    pub(crate) app: Arc<FraudApp>,
}

#[tonic::async_trait]
impl pb::fugitives_server::Fugitives for FugitivesApi {
    async fn list_fugitive(
        &self,
        request: Request<pb::ListFugitiveRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let today = self.app.now().date_naive();
        let person = ResidentId::parse("resident_id", &r.resident_id, today).map_err(invalid)?;
        let fled_on = date("fled_on", &r.fled_on)?;
        if fled_on > today {
            return Err(minsheng_runtime::grpc::status::invalid_field(
                "fled_on",
                "not in the future",
            ));
        }
        let country = match r.country.as_str() {
            "" => None,
            code => Some(values::country("country", code).map_err(invalid)?),
        };
        let command = FugitiveCommand::List {
            person: self.app.person(&person),
            case_id: values::case_id("case_id", &r.case_id).map_err(invalid)?,
            country,
            fled_on,
        };
        let context = command_context(&request)?;
        let id = new_id(&context);
        written(self.app.fugitive(&id, command, &context).await, id)
    }

    async fn locate_fugitive(
        &self,
        request: Request<pb::LocateFugitiveRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("fugitive_id", &r.fugitive_id)?;
        let command = FugitiveCommand::Locate {
            country: values::country("country", &r.country).map_err(invalid)?,
        };
        let context = command_context(&request)?;
        written(self.app.fugitive(&id, command, &context).await, id)
    }

    async fn record_return(
        &self,
        request: Request<pb::RecordReturnRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("fugitive_id", &r.fugitive_id)?;
        let way = match pb::ReturnWay::try_from(r.way) {
            Ok(pb::ReturnWay::Captured) => ReturnWay::Captured,
            Ok(pb::ReturnWay::PersuadedToReturn) => ReturnWay::PersuadedToReturn,
            Ok(pb::ReturnWay::Repatriated) => ReturnWay::Repatriated,
            _ => {
                return Err(minsheng_runtime::grpc::status::invalid_field(
                    "way",
                    "one of CAPTURED, PERSUADED_TO_RETURN, REPATRIATED",
                ));
            }
        };
        let on = date("returned_on", &r.returned_on)?;
        let context = command_context(&request)?;
        written(
            self.app
                .fugitive(&id, FugitiveCommand::Return { way, on }, &context)
                .await,
            id,
        )
    }

    async fn delist_fugitive(
        &self,
        request: Request<pb::DelistFugitiveRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("fugitive_id", &r.fugitive_id)?;
        let command = FugitiveCommand::Delist {
            reason: Text::parse("reason", &r.reason).map_err(invalid)?,
        };
        let context = command_context(&request)?;
        written(self.app.fugitive(&id, command, &context).await, id)
    }
}
