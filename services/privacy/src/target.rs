//! The `privacy` target: the person files kept from the contexts that
//! name people, and the `Privacy` service for data-protection officers.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use minsheng_eventstore::Context;
use minsheng_proto::privacy::v1 as pb;
use minsheng_runtime::subscription::{FromTheStart, SubscriberError};
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};

use crate::app::PrivacyApp;
use crate::domain::files::PersonFiles;
use crate::grpc::PrivacyApi;

pub const NAME: &str = "privacy";

/// The role that may forget and export.
pub const OFFICER: &str = "data-protection-officer";
/// Also lists reads, with the officer.
const OPERATOR: &str = "operator";

/// The contexts whose events name people.
const FOLLOWED: [&str; 2] = ["vehicle", "fraud"];

#[derive(Debug, Default)]
pub struct PrivacyTarget;

#[async_trait]
impl Target for PrivacyTarget {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(
        &self,
        context: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError> {
        let files = Arc::new(Mutex::new(PersonFiles::default()));
        for followed in FOLLOWED {
            let followed = Context::parse(followed).map_err(TargetError::of(NAME))?;
            let files = files.clone();
            registration.subscription(FromTheStart::new(
                &format!("privacy-files-{}", followed.as_str()),
                followed,
                move |event| {
                    files
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .apply(
                            event.stream.as_str(),
                            &event.event_type,
                            event.schema_version,
                            event.payload.get(),
                        )
                        .map_err(SubscriberError::from)
                },
            ));
        }
        let app = Arc::new(PrivacyApp::new(
            context.store.clone(),
            context.person_keys.clone(),
            context.vault.clone(),
            files,
            context.clock.clone(),
        ));
        minsheng_runtime::grpc_servers!(
            registration,
            context,
            minsheng_proto::FILE_DESCRIPTOR_SET,
            [(
                pb::privacy_server::PrivacyServer::new(PrivacyApi {
                    app,
                    audit: context.read_audit.clone(),
                }),
                &[
                    ("Forget", &[OFFICER]),
                    ("ExportPersonalData", &[OFFICER]),
                    ("ListReads", &[OFFICER, OPERATOR]),
                ]
            )]
        );
        Ok(())
    }
}
