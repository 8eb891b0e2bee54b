//! `minsheng.privacy.v1.Privacy`: requests parsed at the edge, the use
//! case run, the outcome mapped back (one mapping, [`to_status`]).

use std::sync::Arc;

use minsheng_proto::privacy::v1 as pb;
use minsheng_runtime::grpc::command::{command_context, timestamp};
use minsheng_runtime::grpc::status;
use minsheng_runtime::read_audit::{Item, ReadAudit, Reader};
use minsheng_values::ResidentId;
use tonic::{Request, Response, Status};

use crate::app::{AppError, PrivacyApp};
use minsheng_audit::Query;

#[derive(Clone, Debug)]
pub struct PrivacyApi {
    pub(crate) app: Arc<PrivacyApp>,
    /// A subject access is itself a read, recorded; and where reads are
    /// listed from.
    pub(crate) audit: ReadAudit,
}

const EXPORT: &str = "minsheng.privacy.v1.Privacy/ExportPersonalData";
/// Reads in one `ListReads` page, at most and by default.
const MAX_READS: u32 = 1000;
const DEFAULT_READS: u32 = 100;

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
        let reader = Reader::of(&request)?;
        let read = Item {
            what: "subject-access",
            id: person.as_str().to_owned(),
            person: Some(person.as_str().to_owned()),
        };
        self.audit.record(&reader, EXPORT, [read]).await?;
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

    async fn list_reads(
        &self,
        request: Request<pb::ListReadsRequest>,
    ) -> Result<Response<pb::Reads>, Status> {
        let r = request.get_ref();
        let query = match (
            r.actor.is_empty(),
            r.resident_id.is_empty(),
            r.person_key.is_empty(),
        ) {
            (false, true, true) => Query::ByActor(r.actor.clone()),
            (true, false, true) => Query::ByPerson(
                self.app
                    .person(&self.resident(&r.resident_id)?)
                    .as_str()
                    .to_owned(),
            ),
            (true, true, false) => Query::ByPerson(person_key(&r.person_key)?),
            _ => {
                return Err(status::invalid_field(
                    "actor, resident_id, person_key",
                    "exactly one of them",
                ));
            }
        };
        let limit = match r.limit {
            0 => DEFAULT_READS,
            n if n <= MAX_READS => n,
            _ => return Err(status::invalid_field("limit", "1 to 1000 (0 means 100)")),
        };
        let listed = self
            .audit
            .log()
            .list(&query, r.after, limit as usize)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let next_after = match listed.last() {
            Some(last) if listed.len() == limit as usize => last.cursor,
            _ => 0,
        };
        let reads = listed
            .into_iter()
            .map(|l| pb::ReadRecord {
                at: Some(timestamp(l.read.at)),
                actor: l.read.actor,
                purpose: l.read.purpose,
                rpc: l.read.rpc,
                what: l.read.what,
                id: l.read.id,
                person_key: l.read.person.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(pb::Reads { reads, next_after }))
    }
}

/// A person key as given: 32 hex digits (as the events hold them).
fn person_key(text: &str) -> Result<String, Status> {
    if text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(status::invalid_field("person_key", "32 hex digits"))
    }
}
