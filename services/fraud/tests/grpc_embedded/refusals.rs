//! Bad input and wrong callers: refused naming the field, nothing written.

use minsheng_proto::fraud::v1 as pb;
use tonic::Code;

use super::support::*;

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
    // Too many accounts: refused before any is sealed, so not even a data
    // key is made for the victim.
    let refused = app
        .alerts()
        .await
        .report_alert(as_role(
            "fraud-analyst",
            pb::ReportAlertRequest {
                accounts: vec![alert().accounts[0].clone(); 21],
                ..alert()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("accounts"), "{refused:?}");
    let victim = person_keys().key_of(VICTIM);
    assert!(
        !app.vault.has_key(&victim).await.unwrap(),
        "no data key made"
    );
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
    for fled_on in ["0000-01-01", "1949-09-30", "2015-13-01"] {
        let refused = app
            .fugitives()
            .await
            .list_fugitive(as_role(
                "officer",
                pb::ListFugitiveRequest {
                    resident_id: VICTIM.into(),
                    case_id: "WZ-EC-0008".into(),
                    country: String::new(),
                    fled_on: fled_on.into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{fled_on}");
        assert!(
            refused.message().contains("fled_on"),
            "{fled_on}: {refused:?}"
        );
    }
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
