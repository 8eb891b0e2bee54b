//! The dashboard in a real browser: `minsheng up` fed with a known city
//! through the real services, headless Chromium loads `/`, and every figure
//! the page shows equals what `/api/v1/kpis` answers for the same period
//! and district. A screenshot is kept as a test artifact.
//!
//! Chromium is Debian's `chromium` (`MINSHENG_CHROMIUM` names another). The
//! test is ignored unless asked for (`--include-ignored`), so that a machine
//! without a browser reports it skipped, never passed; `scripts/test` asks
//! for it when a browser is installed or `MINSHENG_REQUIRE_BROWSER=1` (CI
//! sets it), and then a missing browser fails it.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use minsheng_runtime::auth::TokenKeys;
use support::binary::{channel, minsheng, start, wait_for_exit};
use support::city::{feed, until_the_figures_add_up};

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MINSHENG_CHROMIUM") {
        return Some(path.into());
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(PathBuf::from)
}

/// Runs headless Chromium on `url` with `args`, bounded in time, and
/// returns its standard output. Virtual time lets the page's timers run
/// (the dashboard refreshes every 2 s) without waiting for them.
fn headless(browser: &Path, profile: &Path, args: &[&str], url: &str) -> String {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--window-size=1920,1080",
            "--virtual-time-budget=7000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(out.reopen().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = wait_for_exit(&mut child, Duration::from_secs(90));
    if status.is_none() {
        let _ = child.kill();
        panic!("chromium did not finish within 90 s");
    }
    std::fs::read_to_string(out.path()).unwrap()
}

/// One figure as the page shows it: `data-kpi`, `data-scope`, `data-value`.
#[derive(Debug)]
struct Shown {
    kpi: String,
    scope: String,
    value: String,
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn figures_shown(dom: &str) -> Vec<Shown> {
    dom.split('<')
        .filter_map(|tag| {
            Some(Shown {
                kpi: attribute(tag, "data-kpi")?.to_owned(),
                scope: attribute(tag, "data-scope")?.to_owned(),
                value: attribute(tag, "data-value")?.to_owned(),
            })
        })
        .collect()
}

fn get_json(http: SocketAddr, path: &str) -> serde_json::Value {
    let (status, body) = minsheng_testkit::http_get(http, path).unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// What the API says of one figure in one scope (`city`, a district code,
/// or a month such as `2026-03`) of `year`.
fn from_api(
    http: SocketAddr,
    year: &str,
    cache: &mut BTreeMap<String, serde_json::Value>,
    kpi: &str,
    scope: &str,
) -> String {
    let path = match scope {
        "city" => format!("/api/v1/kpis?period={year}"),
        month if month.starts_with(year) => format!("/api/v1/kpis?period={month}"),
        district => format!("/api/v1/kpis?period={year}&district={district}"),
    };
    let answer = cache
        .entry(path.clone())
        .or_insert_with(|| get_json(http, &path));
    let value = match answer["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == kpi)
    {
        Some(figure) => figure["value"].clone(),
        None => answer[kpi].clone(),
    };
    match value {
        serde_json::Value::Null => String::new(),
        value => value.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: scripts/test runs it when one is installed"]
async fn the_dashboard_shows_what_the_api_says() {
    let browser =
        chromium().expect("no chromium on PATH (apt install chromium, or set MINSHENG_CHROMIUM)");
    let dir = tempfile::tempdir().unwrap();
    let running = start(minsheng(&["up"], dir.path()));
    let keys = TokenKeys::load(&dir.path().join("jwt.key")).unwrap();
    feed(channel(running.grpc).await, &keys).await;
    let http = running.http;
    until_the_figures_add_up(http).await;

    let (dom, year, mut checked) = tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().unwrap();
        let url = format!("http://{http}/");
        let dom = headless(&browser, profile.path(), &["--dump-dom"], &url);
        let artifact = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
        let _ = std::fs::remove_file(&artifact);
        headless(
            &browser,
            profile.path(),
            &[&format!("--screenshot={}", artifact.display())],
            &url,
        );
        assert!(
            std::fs::metadata(&artifact).is_ok_and(|m| m.len() > 10_000),
            "no screenshot at {}",
            artifact.display()
        );
        eprintln!("screenshot: {}", artifact.display());
        let year = get_json(http, "/api/v1/kpis/overview")["year"].to_string();
        (dom, year, BTreeMap::new())
    })
    .await
    .unwrap();

    let refreshes: u32 = dom
        .split_once("data-refreshes=\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        refreshes >= 2,
        "the page did not refresh itself: {refreshes}"
    );
    assert!(dom.contains(&format!("data-year=\"{year}\"")), "{dom}");

    let shown = figures_shown(&dom);
    let count = |scope: &dyn Fn(&str) -> bool| shown.iter().filter(|s| scope(&s.scope)).count();
    assert_eq!(
        count(&|s| s == "city"),
        20,
        "18 figures, the ratio and the median"
    );
    assert_eq!(
        count(&|s| s.starts_with(&year)),
        12 * 4,
        "4 charts of 12 months"
    );
    assert_eq!(
        count(&|s| s != "city" && !s.starts_with(&year)),
        11 * 4,
        "11 districts, 4 figures each"
    );
    let mismatches: Vec<String> = tokio::task::spawn_blocking(move || {
        shown
            .iter()
            .filter_map(|s| {
                let api = from_api(http, &year, &mut checked, &s.kpi, &s.scope);
                (api != s.value)
                    .then(|| format!("{} in {}: page {:?}, API {api:?}", s.kpi, s.scope, s.value))
            })
            .collect()
    })
    .await
    .unwrap();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // Not all zeros: the fed city is on the page.
    for (kpi, value) in [("ebikes_registered", "9"), ("amount_stopped_fen", "400000")] {
        assert!(
            figures_shown(&dom)
                .iter()
                .any(|s| s.kpi == kpi && s.scope == "city" && s.value == value),
            "{kpi} {value} not on the page"
        );
    }
}
