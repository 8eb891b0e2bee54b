//! An alert blocks the numbers it names; partners screen them, one batch
//! or a stream at a time.

use minsheng_proto::fraud::v1 as pb;
use tonic::Code;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_an_alert_names_is_screened_as_blocked_with_no_victim_data() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    app.alerts()
        .await
        .report_alert(as_role("fraud-analyst", alert()))
        .await
        .unwrap();
    eventually("blocked", async || {
        screen(&app, &[FRAUDSTER_PHONE]).await[0].blocked
    })
    .await;
    let verdicts = screen(&app, &[FRAUDSTER_PHONE, "13900001111", "12-34"]).await;
    assert_eq!(verdicts[0].category, pb::BlockCategory::FraudAlert as i32);
    assert!(verdicts[0].since.is_some());
    assert!(!verdicts[1].blocked);
    assert!(
        !verdicts[2].invalid.is_empty(),
        "a malformed number is said to be so"
    );
    let text = format!("{verdicts:?}");
    assert!(
        !text.contains("110105") && !text.contains("6222"),
        "no victim data: {text}"
    );

    let history = app
        .firewall()
        .await
        .get_number_history(as_role(
            "fraud-analyst",
            pb::GetNumberHistoryRequest {
                number: FRAUDSTER_PHONE.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.entries.len(), 1);
    // Blocked by the firewall's reaction to the alert, which it names.
    assert_eq!(history.entries[0].actor, "fraud-firewall");
    assert_eq!(history.entries[0].alert_id.len(), 32);

    app.firewall()
        .await
        .unblock_number(as_role(
            "fraud-analyst",
            pb::UnblockNumberRequest {
                number: FRAUDSTER_PHONE.into(),
                reason: "a bank's own line".into(),
            },
        ))
        .await
        .unwrap();
    eventually("unblocked", async || {
        !screen(&app, &[FRAUDSTER_PHONE]).await[0].blocked
    })
    .await;
    let history = app
        .firewall()
        .await
        .get_number_history(as_role(
            "fraud-analyst",
            pb::GetNumberHistoryRequest {
                number: FRAUDSTER_PHONE.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let last = history.entries.last().unwrap();
    assert_eq!((history.entries.len(), last.blocked), (2, false));
    assert_eq!(
        (last.actor.as_str(), last.reason.as_str()),
        ("fraud-analyst-1", "a bank's own line")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_screens_a_stream_and_its_interceptions_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    app.alerts()
        .await
        .report_alert(as_role("fraud-analyst", alert()))
        .await
        .unwrap();
    eventually("blocked", async || {
        screen(&app, &[FRAUDSTER_PHONE]).await[0].blocked
    })
    .await;

    let requests = futures::stream::iter(vec![
        pb::ScreenRequest {
            numbers: vec![FRAUDSTER_PHONE.into()],
        },
        pb::ScreenRequest {
            numbers: vec!["13900001111".into(), FRAUDSTER_PHONE.into()],
        },
    ]);
    let mut answers = app
        .firewall()
        .await
        .screen_stream(as_partner_of("partner", Some("telecom"), requests))
        .await
        .unwrap()
        .into_inner();
    let first = answers.message().await.unwrap().unwrap();
    let second = answers.message().await.unwrap().unwrap();
    assert!(first.verdicts[0].blocked);
    assert_eq!(
        second
            .verdicts
            .iter()
            .map(|v| v.blocked)
            .collect::<Vec<_>>(),
        [false, true]
    );

    let interception = pb::ReportInterceptionRequest {
        number: FRAUDSTER_PHONE.into(),
        intercepted_at: Some(now()),
    };
    app.firewall()
        .await
        .report_interception(as_partner_of(
            "partner",
            Some("telecom"),
            interception.clone(),
        ))
        .await
        .unwrap();
    let nameless = app
        .firewall()
        .await
        .report_interception(as_partner_of("partner", None, interception))
        .await
        .unwrap_err();
    assert_eq!(nameless.code(), Code::PermissionDenied);
    eventually("counted", async || {
        app.alerts()
            .await
            .get_totals(as_role("officer", pb::GetTotalsRequest {}))
            .await
            .unwrap()
            .into_inner()
            .interceptions
            == 1
    })
    .await;
    app.stop().await;
}
