//! The fraud services end to end over gRPC in embedded mode: a real process
//! on port 0 with its SQLite store, real clients and tokens (a partner's
//! names its institution).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use minsheng_eventstore::{Context, EventStore, Position};
use minsheng_fraud::FraudTarget;
use minsheng_fraud::app::FraudConfig;
use minsheng_proto::fraud::v1 as pb;
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::target::Target;
use tonic::transport::Channel;
use tonic::{Code, Request};

const VICTIM: &str = "11010519491231002X";
const FRAUDSTER_PHONE: &str = "17012345678";

fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the fraud tests' signing key!!!!")
}

struct App {
    grpc: std::net::SocketAddr,
    store: Arc<dyn EventStore>,
    process: LocalProcess,
}

async fn spawn(dir: &std::path::Path, deadline: chrono::Duration) -> App {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    let store = minsheng_runtime::store::open(&url, 1).await.unwrap();
    let target: Arc<dyn Target> = Arc::new(FraudTarget {
        config: FraudConfig {
            stop_deadline: deadline,
        },
    });
    let person_keys = PersonKeys::from_secret(b"the fraud tests' person key.....");
    let process = local::start(store.clone(), &[target], keys(), person_keys)
        .await
        .unwrap();
    App {
        grpc: process.grpc,
        store,
        process,
    }
}

async fn eventually(what: &str, mut probe: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !probe().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl App {
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
    async fn alerts(&self) -> pb::alerts_client::AlertsClient<Channel> {
        pb::alerts_client::AlertsClient::new(self.channel().await)
    }
    async fn stops(&self) -> pb::stop_payments_client::StopPaymentsClient<Channel> {
        pb::stop_payments_client::StopPaymentsClient::new(self.channel().await)
    }
    async fn firewall(&self) -> pb::firewall_client::FirewallClient<Channel> {
        pb::firewall_client::FirewallClient::new(self.channel().await)
    }
    async fn fugitives(&self) -> pb::fugitives_client::FugitivesClient<Channel> {
        pb::fugitives_client::FugitivesClient::new(self.channel().await)
    }
    async fn events(&self) -> usize {
        self.store
            .read_all(&Context::parse("fraud").unwrap(), Position::START, 100_000)
            .await
            .unwrap()
            .len()
    }
    async fn stop(self) {
        self.process.stop().await.unwrap();
    }
}

fn as_role<T>(role: &str, message: T) -> Request<T> {
    as_partner_of(role, None, message)
}

fn as_partner_of<T>(role: &str, institution: Option<&str>, message: T) -> Request<T> {
    let token = keys()
        .mint_for(
            &format!("{role}-1"),
            &[role.to_owned()],
            institution,
            Duration::from_secs(600),
        )
        .unwrap();
    let mut request = Request::new(message);
    minsheng_runtime::auth::attach_bearer(&mut request, &token).unwrap();
    request
}

fn now() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp(),
        nanos: 0,
    }
}

fn alert() -> pb::ReportAlertRequest {
    pb::ReportAlertRequest {
        victim_resident_id: VICTIM.into(),
        amount_fen: 270_000_000,
        channel: pb::FraudChannel::PhoneCall as i32,
        transferred_at: Some(now()),
        accounts: vec![pb::ReceivingAccount {
            account: "6222020200112233445".into(),
            institution: "icbc".into(),
        }],
        fraud_numbers: vec![FRAUDSTER_PHONE.into()],
    }
}

async fn screen(app: &App, numbers: &[&str]) -> Vec<pb::Verdict> {
    app.firewall()
        .await
        .screen(as_partner_of(
            "partner",
            Some("icbc"),
            pb::ScreenRequest {
                numbers: numbers.iter().map(|n| n.to_string()).collect(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .verdicts
}

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
async fn a_stop_payment_is_answered_once_by_its_own_institution() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let alert_id = app
        .alerts()
        .await
        .report_alert(as_role("fraud-analyst", alert()))
        .await
        .unwrap()
        .into_inner()
        .id;
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
        let view = app
            .alerts()
            .await
            .get_alert(as_role(
                "fraud-analyst",
                pb::GetAlertRequest {
                    alert_id: alert_id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        view.stop_payments
            .first()
            .is_some_and(|s| s.outcome == "frozen")
    })
    .await;
    let view = app
        .alerts()
        .await
        .get_alert(as_role(
            "fraud-analyst",
            pb::GetAlertRequest {
                alert_id: alert_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
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
async fn an_unanswered_request_expires_at_its_deadline_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::seconds(2)).await;
    let alert_id = app
        .alerts()
        .await
        .report_alert(as_role("fraud-analyst", alert()))
        .await
        .unwrap()
        .into_inner()
        .id;
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
    // The process stops before either deadline; the second is expired by the next process.
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
    app.stop().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let app = spawn(dir.path(), chrono::Duration::seconds(2)).await;
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
async fn bad_input_is_refused_with_its_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let before = app.events().await;
    let cases: Vec<(&str, pb::ReportAlertRequest)> = vec![
        (
            "amount_fen",
            pb::ReportAlertRequest {
                amount_fen: -100,
                ..alert()
            },
        ),
        (
            "amount_fen",
            pb::ReportAlertRequest {
                amount_fen: 0,
                ..alert()
            },
        ),
        (
            "amount_fen",
            pb::ReportAlertRequest {
                amount_fen: 10_000_000_001,
                ..alert()
            },
        ),
        (
            "channel",
            pb::ReportAlertRequest {
                channel: 99,
                ..alert()
            },
        ),
        (
            "channel",
            pb::ReportAlertRequest {
                channel: 0,
                ..alert()
            },
        ),
        (
            "accounts.account",
            pb::ReportAlertRequest {
                accounts: vec![pb::ReceivingAccount {
                    account: "62-22".into(),
                    institution: "icbc".into(),
                }],
                ..alert()
            },
        ),
        (
            "accounts.institution",
            pb::ReportAlertRequest {
                accounts: vec![pb::ReceivingAccount {
                    account: "6222020200112233445".into(),
                    institution: "ICBC Bank".into(),
                }],
                ..alert()
            },
        ),
        (
            "accounts",
            pb::ReportAlertRequest {
                accounts: vec![],
                ..alert()
            },
        ),
        (
            "fraud_numbers",
            pb::ReportAlertRequest {
                fraud_numbers: vec!["call me".into()],
                ..alert()
            },
        ),
        (
            "victim_resident_id",
            pb::ReportAlertRequest {
                victim_resident_id: "110105194912310021".into(),
                ..alert()
            },
        ),
        (
            "transferred_at",
            pb::ReportAlertRequest {
                transferred_at: None,
                ..alert()
            },
        ),
    ];
    for (field, request) in cases {
        let refused = app
            .alerts()
            .await
            .report_alert(as_role("fraud-analyst", request))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{field}: {refused:?}"
        );
        assert!(refused.message().contains(field), "{field}: {refused:?}");
    }
    let too_many = pb::ScreenRequest {
        numbers: vec![FRAUDSTER_PHONE.into(); 1001],
    };
    let refused = app
        .firewall()
        .await
        .screen(as_partner_of("partner", Some("icbc"), too_many))
        .await
        .unwrap_err();
    assert!(refused.message().contains("numbers"), "{refused:?}");
    let bad_block = pb::BlockNumberRequest {
        number: "+86 170".into(),
        reason: "x".into(),
    };
    let refused = app
        .firewall()
        .await
        .block_number(as_role("fraud-analyst", bad_block))
        .await
        .unwrap_err();
    assert!(refused.message().contains("number"), "{refused:?}");
    assert_eq!(app.events().await, before, "nothing written");

    let refused = app
        .alerts()
        .await
        .report_alert(as_role("partner", alert()))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Code::PermissionDenied,
        "partners do not report alerts"
    );
    app.stop().await;
}

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
