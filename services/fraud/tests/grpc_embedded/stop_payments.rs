//! Emergency stop-payments: answered once, by the institution asked, or
//! expired at the deadline.

use std::sync::Arc;

use minsheng_proto::fraud::v1 as pb;
use tonic::Code;
use tonic::transport::Channel;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_payment_is_answered_once_by_its_own_institution() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let alert_id = reported_alert(&app).await;
    let request = pb::RequestStopPaymentRequest {
        alert_id: alert_id.clone(),
        account_index: 0,
        amount_fen: 270_000_000,
    };
    let stop_id = app
        .stops()
        .await
        .request_stop_payment(as_role("fraud-analyst", request))
        .await
        .unwrap()
        .into_inner()
        .id;

    let answer = |amount| pb::AnswerStopPaymentRequest {
        stop_payment_id: stop_id.clone(),
        outcome: pb::StopOutcome::Frozen as i32,
        amount_fen: amount,
        reason: String::new(),
    };
    let foreign = app
        .stops()
        .await
        .answer_stop_payment(as_partner_of("partner", Some("alipay"), answer(1)))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::PermissionDenied, "{foreign:?}");
    let nameless = app
        .stops()
        .await
        .answer_stop_payment(as_partner_of("partner", None, answer(1)))
        .await
        .unwrap_err();
    assert_eq!(nameless.code(), Code::PermissionDenied);
    let too_much = app
        .stops()
        .await
        .answer_stop_payment(as_partner_of("partner", Some("icbc"), answer(270_000_001)))
        .await
        .unwrap_err();
    assert_eq!(too_much.code(), Code::FailedPrecondition);
    app.stops()
        .await
        .answer_stop_payment(as_partner_of("partner", Some("icbc"), answer(270_000_000)))
        .await
        .unwrap();
    let twice = app
        .stops()
        .await
        .answer_stop_payment(as_partner_of("partner", Some("icbc"), answer(5)))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);

    eventually("the alert shows the outcome", async || {
        first_stop_outcome(&app, &alert_id).await.as_deref() == Some("frozen")
    })
    .await;
    let view = alert_view(&app, &alert_id).await;
    assert_eq!(view.stop_payments[0].account_masked, "****3445");
    let totals = app
        .alerts()
        .await
        .get_totals(as_role("officer", pb::GetTotalsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            totals.alerts,
            totals.reported_fen,
            totals.stopped_fen,
            totals.frozen
        ),
        (1, 270_000_000, 270_000_000, 1)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_still_unanswered_when_its_deadline_comes_expires_and_is_not_answered_after() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let app = spawn_with_clock(
        dir.path(),
        chrono::Duration::hours(2),
        Arc::new(clock.clone()),
    )
    .await;
    let (alert_id, stop_payment_id) = alert_with_a_stop_payment(&app, 100).await;
    let outcome = async || first_stop_outcome(&app, &alert_id).await;
    eventually("the request shows on its alert", async || {
        outcome().await.is_some()
    })
    .await;
    // A minute short of two hours: still open to an answer.
    clock.advance(chrono::Duration::minutes(119));
    assert_eq!(outcome().await.as_deref(), Some("pending"));
    clock.advance(chrono::Duration::minutes(1));
    eventually("expired at two hours", async || {
        outcome().await.as_deref() == Some("expired")
    })
    .await;
    let refused = app
        .stops()
        .await
        .answer_stop_payment(as_partner_of(
            "partner",
            Some("icbc"),
            pb::AnswerStopPaymentRequest {
                stop_payment_id,
                outcome: pb::StopOutcome::Stopped as i32,
                amount_fen: 100,
                reason: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_whose_first_write_fails_is_recorded_by_the_retry_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let store: Arc<dyn minsheng_eventstore::EventStore> = Arc::new(Interposed {
        inner: minsheng_runtime::store::open(&url, 1).await.unwrap(),
        hooks: ExpiryFailsOnce::default(),
    });
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let app = spawn_on(store, chrono::Duration::hours(2), Arc::new(clock.clone())).await;
    let (alert_id, _) = alert_with_a_stop_payment(&app, 100).await;
    let expired = async || first_stop_outcome(&app, &alert_id).await.as_deref() == Some("expired");
    let failures = async || {
        let series = r#"minsheng_deadlines_fire_failures_total{deadlines="fraud-deadlines"}"#;
        minsheng_testkit::metric(app.process.http, series).await == 1.0
    };
    clock.advance(chrono::Duration::hours(2));
    eventually("the first write failed", failures).await;
    assert!(!expired().await);
    // The retry waits a moment on the clock; no restart.
    clock.advance(chrono::Duration::seconds(1));
    eventually("expired by the retry", expired).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_request_expires_at_its_deadline_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // The test's clock: time moves only when the test says.
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let two_hours = chrono::Duration::hours(2);
    let app = spawn_with_clock(dir.path(), two_hours, Arc::new(clock.clone())).await;
    let alert_id = reported_alert(&app).await;
    let request = |amount| pb::RequestStopPaymentRequest {
        alert_id: alert_id.clone(),
        account_index: 0,
        amount_fen: amount,
    };
    let first = app
        .stops()
        .await
        .request_stop_payment(as_role("fraud-analyst", request(100)))
        .await
        .unwrap()
        .into_inner()
        .id;
    let second = app
        .stops()
        .await
        .request_stop_payment(as_role("fraud-analyst", request(200)))
        .await
        .unwrap()
        .into_inner()
        .id;
    // The process stops before either deadline; the next one expires both.
    let expired_in = |app: &App| {
        let alert_id = alert_id.clone();
        let channel = app.grpc;
        async move {
            let channel = Channel::from_shared(format!("http://{channel}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let view = pb::alerts_client::AlertsClient::new(channel)
                .get_alert(as_role("fraud-analyst", pb::GetAlertRequest { alert_id }))
                .await
                .unwrap()
                .into_inner();
            view.stop_payments
                .iter()
                .filter(|s| s.outcome == "expired")
                .map(|s| s.stop_payment_id.clone())
                .collect::<Vec<_>>()
        }
    };
    let store = app.store.clone();
    app.stop().await;
    // The restart path is what this tests: the first process stopped
    // before either deadline (its clock had not moved).
    let events = minsheng_eventstore::Context::parse("fraud").unwrap();
    let recorded = store
        .read_all(&events, minsheng_eventstore::Position::START, 1_000)
        .await
        .unwrap();
    assert!(
        !recorded
            .iter()
            .any(|e| e.event_type == "fraud.StopPaymentExpired"),
        "expired before the restart: the restart path went untested"
    );
    // Both deadlines pass while no process runs.
    clock.advance(two_hours + chrono::Duration::seconds(1));
    let app = spawn_with_clock(dir.path(), two_hours, Arc::new(clock.clone())).await;
    eventually("both expired", async || expired_in(&app).await.len() == 2).await;
    let mut expired = expired_in(&app).await;
    expired.sort();
    let mut expected = vec![first.clone(), second];
    expected.sort();
    assert_eq!(expired, expected);
    let late = pb::AnswerStopPaymentRequest {
        stop_payment_id: first,
        outcome: pb::StopOutcome::Stopped as i32,
        amount_fen: 100,
        reason: String::new(),
    };
    let refused = app
        .stops()
        .await
        .answer_stop_payment(as_partner_of("partner", Some("icbc"), late))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("expired"), "{refused:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_on_an_alerts_second_account_is_for_that_accounts_institution_alone() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let mut two_accounts = alert();
    two_accounts.accounts.push(pb::ReceivingAccount {
        account: "2088102233445566".into(),
        institution: "alipay".into(),
    });
    let alert_id = app
        .alerts()
        .await
        .report_alert(as_role("fraud-analyst", two_accounts))
        .await
        .unwrap()
        .into_inner()
        .id;
    let stop_id = app
        .stops()
        .await
        .request_stop_payment(as_role(
            "fraud-analyst",
            pb::RequestStopPaymentRequest {
                alert_id,
                account_index: 1,
                amount_fen: 1_000_000,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    let answer = |institution: &str| {
        as_partner_of(
            "partner",
            Some(institution),
            pb::AnswerStopPaymentRequest {
                stop_payment_id: stop_id.clone(),
                outcome: pb::StopOutcome::Stopped as i32,
                amount_fen: 1_000_000,
                reason: String::new(),
            },
        )
    };
    let first_accounts_bank = app
        .stops()
        .await
        .answer_stop_payment(answer("icbc"))
        .await
        .unwrap_err();
    assert_eq!(first_accounts_bank.code(), Code::PermissionDenied);
    app.stops()
        .await
        .answer_stop_payment(answer("alipay"))
        .await
        .expect("the second account's institution answers");
    // Once answered, another institution still hears only "not yours",
    // never that the request already has its answer.
    let after_the_answer = app
        .stops()
        .await
        .answer_stop_payment(answer("icbc"))
        .await
        .unwrap_err();
    assert_eq!(
        after_the_answer.code(),
        Code::PermissionDenied,
        "{after_the_answer:?}"
    );
    assert!(
        !after_the_answer.message().contains("answer"),
        "{after_the_answer:?}"
    );
    app.stop().await;
}
