//! UTC timestamps without a date crate: seconds since the epoch and RFC 3339 text.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as a float (sub-second precision).
pub fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn now_iso() -> String {
    iso_from_epoch(now_epoch())
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ` (the deploy log's format).
pub fn now_iso_seconds() -> String {
    let s = iso_from_epoch(now_epoch());
    format!("{}Z", &s[..19])
}

/// Format epoch seconds as RFC 3339 UTC with microseconds.
pub fn iso_from_epoch(epoch: f64) -> String {
    let micros_total = (epoch * 1_000_000.0).round() as i64;
    let secs = micros_total.div_euclid(1_000_000);
    let micros = micros_total.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Parse the `YYYY-MM-DDTHH:MM:SS[.f]Z` forms this crate writes back to epoch seconds.
pub fn epoch_from_iso(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = text
        .get(19..)
        .and_then(|r| r.strip_prefix('.'))
        .map(|r| r.trim_end_matches('Z'))
        .and_then(|f| format!("0.{f}").parse::<f64>().ok())
        .unwrap_or(0.0);
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + s) as f64 + frac)
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_known_instants() {
        assert_eq!(iso_from_epoch(0.0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            iso_from_epoch(1_700_000_000.25),
            "2023-11-14T22:13:20.250000Z"
        );
        assert_eq!(
            epoch_from_iso("2023-11-14T22:13:20.250000Z"),
            Some(1_700_000_000.25)
        );
        assert_eq!(
            epoch_from_iso("2024-02-29T00:00:00Z"),
            Some(1_709_164_800.0)
        );
        assert_eq!(epoch_from_iso("garbage"), None);
    }
}
