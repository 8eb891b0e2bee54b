//! A stolen bike seen again by the same reader within the window is one
//! hit, whichever process sees it and across a restart: the desk rebuilds
//! the hits it remembers from the bike's events.

use std::sync::Arc;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bike_seen_again_after_a_restart_within_the_window_is_one_hit() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    stolen_known(&app).await;
    assert_eq!(seen_by(&app, TAG, "RD-LC-0001").await.hits, 1);
    let events = events_in(&app).await;
    app.stop().await;

    let app = spawn_embedded(dir.path()).await;
    let again = seen_by(&app, TAG, "RD-LC-0001").await;
    assert_eq!((again.hits, again.repeated), (0, 1), "{again:?}");
    assert_eq!(events_in(&app).await, events, "no second hit recorded");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bike_seen_by_one_replica_then_by_another_within_the_window_is_one_hit() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let store = minsheng_runtime::store::open(&url, 1).await.unwrap();
    let (first, second) = (
        spawn_on(Arc::clone(&store)).await,
        spawn_on(Arc::clone(&store)).await,
    );
    city_with_a_stolen_bike(&first).await;
    stolen_known(&first).await;
    assert_eq!(seen_by(&first, TAG, "RD-LC-0001").await.hits, 1);
    let events = events_in(&first).await;

    stolen_known(&second).await;
    let again = seen_by(&second, TAG, "RD-LC-0001").await;
    assert_eq!((again.hits, again.repeated), (0, 1), "{again:?}");
    assert_eq!(events_in(&second).await, events, "no second hit recorded");
    first.stop().await;
    second.stop().await;
}
