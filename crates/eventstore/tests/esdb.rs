//! The conformance suite on EventStoreDB. Runs only with the `eventstoredb`
//! feature and `MINSHENG_TEST_ESDB_URL` (an `esdb://` connection string to
//! a server whose data a test may fill); says so when skipped. A "restart"
//! here reconnects: restarting the server is the operator's part.

#![cfg(feature = "eventstoredb")]

#[macro_use]
mod conformance;

use std::sync::Arc;

use async_trait::async_trait;
use conformance::Backend;
use minsheng_eventstore::EventStore;
use minsheng_eventstore::esdb::EsdbStore;

struct Esdb {
    url: String,
}

#[async_trait]
impl Backend for Esdb {
    async fn store(&mut self) -> Arc<dyn EventStore> {
        Arc::new(EsdbStore::connect(&self.url).expect("connects"))
    }

    async fn restart(&mut self) -> Arc<dyn EventStore> {
        self.store().await
    }
}

async fn esdb() -> Option<Esdb> {
    match std::env::var("MINSHENG_TEST_ESDB_URL") {
        Ok(url) => Some(Esdb { url }),
        Err(_) => {
            eprintln!(
                "skipped: MINSHENG_TEST_ESDB_URL is not set, no EventStoreDB to test against"
            );
            None
        }
    }
}

conformance_suite!(esdb());
