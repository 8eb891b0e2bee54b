//! Reading a process's Prometheus `/metrics` in a test: one series'
//! value, by its full name and labels as the text shows them.

#[cfg(feature = "tokio")]
use std::net::SocketAddr;

/// The value of `series` (`name` or `name{label="v",...}`, exactly as the
/// exposition writes it) in `text`, if it is there.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// [`sample`] from the `/metrics` of the process whose HTTP port is
/// `http`; 0 when the series is not there yet (a counter never bumped).
#[cfg(feature = "tokio")]
pub async fn metric(http: SocketAddr, series: &str) -> f64 {
    let (status, text) = crate::http_get_async(http, "/metrics")
        .await
        .unwrap_or((0, String::new()));
    assert_eq!(status, 200, "GET /metrics on {http}");
    sample(&text, series).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_is_read_by_its_exact_name_and_labels() {
        let text = "# TYPE x counter\nx_total{a=\"1\"} 3\nx_total{a=\"12\"} 5\ny 2.5\n";
        assert_eq!(sample(text, "x_total{a=\"1\"}"), Some(3.0));
        assert_eq!(sample(text, "x_total{a=\"12\"}"), Some(5.0));
        assert_eq!(sample(text, "y"), Some(2.5));
        assert_eq!(sample(text, "x_total"), None);
    }
}
