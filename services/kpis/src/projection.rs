//! The KPI projection: the book, folded from every context that makes a
//! figure by the runtime's projection mechanism
//! ([`minsheng_runtime::projection`]): every replica folds into its own
//! copy (what its queries read), the leader saves the book and its
//! positions as one snapshot, a rebuild replays beside the live book.

use minsheng_contracts::ContractError;
use minsheng_eventstore::RecordedEvent;
use minsheng_runtime::projection::{Folded, Projection, ReadModel, SavePolicy, Spec, Unreadable};

use crate::domain::book::KpiBook;
use crate::domain::fold::{CONTEXTS, fold};

/// The KPI projection's names. Its snapshot and consumers keep the names
/// they had when the service was called `metrics`, so that an upgraded
/// replica resumes from the saved book and the alerts keep their labels.
pub const SPEC: Spec = Spec {
    name: "kpis",
    owner: "kpis",
    snapshot: "metrics-kpis",
    leadership: "kpis-projection",
    contexts: &CONTEXTS,
    save: SavePolicy::DEFAULT,
};

/// The book as this replica has folded it.
pub type KpiProjection = Projection<KpiBook>;

impl ReadModel for KpiBook {
    fn fold(&mut self, event: &RecordedEvent) -> Result<Folded, Unreadable> {
        match fold(self, event) {
            Ok(true) => Ok(Folded::Read),
            Ok(false) => Ok(Folded::NotRead),
            Err(error) => Err(Unreadable {
                newer_schema: matches!(error, ContractError::NewerVersion { .. }),
                reason: error.to_string(),
            }),
        }
    }
}
