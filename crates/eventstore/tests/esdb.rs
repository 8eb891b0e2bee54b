//! The conformance suite on EventStoreDB, built with the `eventstoredb`
//! feature. Every case is ignored (reported as skipped) unless run with
//! `--include-ignored` and `MINSHENG_TEST_ESDB_URL` (an `esdb://`
//! connection string to a server whose data a test may fill); no server
//! can be installed here, so `scripts/test` runs them only when one is
//! named. A "restart" here reconnects: restarting the server is the
//! operator's part.

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

/// Run only when asked (`--include-ignored`), with a server named.
async fn esdb() -> Esdb {
    let url = std::env::var("MINSHENG_TEST_ESDB_URL")
        .expect("MINSHENG_TEST_ESDB_URL names the EventStoreDB server to test against");
    Esdb { url }
}

conformance_suite!(
    esdb(),
    ignore = "needs an EventStoreDB server: set MINSHENG_TEST_ESDB_URL and pass --include-ignored"
);
