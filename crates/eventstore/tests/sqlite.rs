//! The conformance suite on the embedded SQLite backend.

#[macro_use]
mod conformance;

use std::sync::Arc;

use async_trait::async_trait;
use conformance::Backend;
use minsheng_eventstore::EventStore;
use minsheng_eventstore::sqlite::SqliteStore;

struct Sqlite {
    dir: tempfile::TempDir,
    open: Option<SqliteStore>,
}

#[async_trait]
impl Backend for Sqlite {
    async fn store(&mut self) -> Arc<dyn EventStore> {
        if self.open.is_none() {
            self.open = Some(SqliteStore::open(self.dir.path().join("events.db")).expect("opens"));
        }
        Arc::new(self.open.clone().expect("open"))
    }

    async fn restart(&mut self) -> Arc<dyn EventStore> {
        if let Some(store) = self.open.take() {
            store.close().await;
        }
        self.store().await
    }
}

async fn sqlite() -> Sqlite {
    Sqlite {
        dir: tempfile::tempdir().expect("temp dir"),
        open: None,
    }
}

conformance_suite!(sqlite());
