//! The read audit's two logs, on a real SQLite file and a real
//! nats-server: reads are listed by actor and by person, oldest first, a
//! page at a time; the embedded log keeps its reads across a reopen and
//! drops those past the retention; the stream's retention is its max_age,
//! and a changed retention reaches the stream.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use minsheng_audit::{AuditLog, NatsAudit, Query, Read, SqliteAudit};

const OWNER: &str = "5f4dcc3b5aa765d61d8327deb882cf99";
const VICTIM: &str = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";

fn day(n: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 6, n, 9, 0, 0).unwrap()
}

fn read(at: DateTime<Utc>, actor: &str, what: &str, person: Option<&str>) -> Read {
    Read {
        at,
        actor: actor.into(),
        purpose: "case WZ-2015-0001".into(),
        rpc: "minsheng.vehicle.v1.Ebikes/GetEbike".into(),
        what: what.into(),
        id: "E20000172211010218905BD1".into(),
        person: person.map(str::to_owned),
    }
}

/// Three calls: officer-1 reads the owner's bike, then a hit (two things
/// in one call); officer-2 reads the victim's alert.
async fn three_calls(log: &dyn AuditLog) {
    log.record(vec![read(day(1), "officer-1", "ebike", Some(OWNER))])
        .await
        .unwrap();
    log.record(vec![
        read(day(2), "officer-1", "hit", Some(OWNER)),
        read(day(2), "officer-1", "hit", None),
    ])
    .await
    .unwrap();
    log.record(vec![read(day(3), "officer-2", "alert", Some(VICTIM))])
        .await
        .unwrap();
}

fn whats(listed: &[minsheng_audit::Listed]) -> Vec<&str> {
    listed.iter().map(|l| l.read.what.as_str()).collect()
}

async fn lists_by_actor_and_person_a_page_at_a_time(log: &dyn AuditLog) {
    let by_officer_1 = log
        .list(&Query::ByActor("officer-1".into()), 0, 10)
        .await
        .unwrap();
    assert_eq!(whats(&by_officer_1), ["ebike", "hit", "hit"]);
    assert_eq!(
        by_officer_1[0].read,
        read(day(1), "officer-1", "ebike", Some(OWNER))
    );
    let of_owner = log
        .list(&Query::ByPerson(OWNER.into()), 0, 10)
        .await
        .unwrap();
    assert_eq!(whats(&of_owner), ["ebike", "hit"]);
    let of_victim = log
        .list(&Query::ByPerson(VICTIM.into()), 0, 10)
        .await
        .unwrap();
    assert_eq!(of_victim.len(), 1);
    assert_eq!(of_victim[0].read.actor, "officer-2");

    let first = log
        .list(&Query::ByActor("officer-1".into()), 0, 2)
        .await
        .unwrap();
    let rest = log
        .list(&Query::ByActor("officer-1".into()), first[1].cursor, 2)
        .await
        .unwrap();
    assert_eq!((first.len(), rest.len()), (2, 1), "two pages");
    assert_eq!(rest[0].read, by_officer_1[2].read);
    assert!(
        log.list(&Query::ByActor("nobody".into()), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_embedded_log_lists_keeps_and_prunes_its_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.audit.db");
    let log = SqliteAudit::open(&path).unwrap();
    three_calls(&log).await;
    lists_by_actor_and_person_a_page_at_a_time(&log).await;
    drop(log);

    let log = SqliteAudit::open(&path).unwrap();
    lists_by_actor_and_person_a_page_at_a_time(&log).await;
    assert_eq!(log.prune(day(2)).await.unwrap(), 1, "the first day's read");
    let of_owner = log
        .list(&Query::ByPerson(OWNER.into()), 0, 10)
        .await
        .unwrap();
    assert_eq!(whats(&of_owner), ["hit"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "its owner's only");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mesh_log_lists_its_reads_and_its_stream_keeps_them_for_the_retention() {
    let server = minsheng_testkit::NatsServer::start().unwrap();
    let client = async_nats::connect(server.url()).await.unwrap();
    let half_a_year = Duration::from_secs(180 * 86_400);
    let log = NatsAudit::open(client.clone(), 1, half_a_year)
        .await
        .unwrap();
    three_calls(&log).await;
    lists_by_actor_and_person_a_page_at_a_time(&log).await;

    let js = async_nats::jetstream::new(client.clone());
    let max_age = |js: async_nats::jetstream::Context| async move {
        js.get_stream("MS_AUDIT")
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .config
            .max_age
    };
    assert_eq!(max_age(js.clone()).await, half_a_year);
    let a_year = Duration::from_secs(365 * 86_400);
    let reopened = NatsAudit::open(client, 1, a_year).await.unwrap();
    assert_eq!(max_age(js).await, a_year, "the new retention applies");
    lists_by_actor_and_person_a_page_at_a_time(&reopened).await;
}
