//! Wall-clock time as Redis uses it: Unix milliseconds for expiry (`SET ... PX`, `PEXPIREAT`,
//! and later the RDB file, which stores absolute Unix times), and the calendar date for log lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    now_us() / 1000
}

/// Microseconds since the Unix epoch (`TIME`, `server_time_usec`).
pub fn now_us() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => elapsed.as_micros() as i64,
        // A clock set before 1970: treat as the epoch rather than fail.
        Err(_) => 0,
    }
}

/// `23 Nov 2026 23:32:40.123` (UTC), the timestamp format of Redis log lines.
pub fn log_timestamp(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let seconds = ms_of_day / 1000;
    format!(
        "{day:02} {} {year} {:02}:{:02}:{:02}.{:03}",
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ms_of_day % 1000
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_timestamps_are_calendar_dates() {
        assert_eq!(log_timestamp(0), "01 Jan 1970 00:00:00.000");
        // 2026-11-23T23:32:40.123Z
        assert_eq!(log_timestamp(1_795_476_760_123), "23 Nov 2026 23:32:40.123");
        // 2024-02-29T12:00:00Z, a leap day
        assert_eq!(log_timestamp(1_709_208_000_000), "29 Feb 2024 12:00:00.000");
    }
}
