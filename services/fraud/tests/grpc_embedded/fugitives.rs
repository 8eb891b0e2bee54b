//! Fugitives: listed, restricted from exit, returned.

use minsheng_proto::fraud::v1 as pb;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_fugitive_is_restricted_from_exit_until_returned() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let listed = app
        .fugitives()
        .await
        .list_fugitive(as_role(
            "officer",
            pb::ListFugitiveRequest {
                resident_id: VICTIM.into(),
                case_id: "WZ-EC-0007".into(),
                country: String::new(),
                fled_on: "2001-03-01".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    app.fugitives()
        .await
        .record_return(as_role(
            "officer",
            pb::RecordReturnRequest {
                fugitive_id: listed.id.clone(),
                way: pb::ReturnWay::Repatriated as i32,
                returned_on: "2015-06-01".into(),
            },
        ))
        .await
        .unwrap();
    let types: Vec<String> = app
        .store
        .read_stream(
            &minsheng_eventstore::StreamName::parse(&format!("fraud.fugitive.{}", listed.id))
                .unwrap(),
            1,
            10,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        [
            "fraud.FugitiveListed",
            "fraud.ExitRestrictionImposed",
            "fraud.FugitiveReturned",
            "fraud.ExitRestrictionLifted"
        ]
    );
    eventually("counted as returned", async || {
        app.alerts()
            .await
            .get_totals(as_role("officer", pb::GetTotalsRequest {}))
            .await
            .unwrap()
            .into_inner()
            .fugitives_returned
            == 1
    })
    .await;
    app.stop().await;
}
