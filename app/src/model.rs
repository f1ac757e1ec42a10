//! Types that cross the wire between the server functions and the browser. None of them can
//! carry a secret value: values travel only inside the requests that set them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An application's id. A newtype so an application id can never be passed as a secret id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApplicationId(pub i64);

/// A secret's id; unique across the whole server and never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretId(pub i64);

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Seconds since the Unix epoch, shown as UTC `YYYY-MM-DD HH:MM:SS` (the format the
/// Management API and the panel share).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm); kept here
/// so the browser needs no date library.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One row of the Applications table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationSummary {
    pub id: ApplicationId,
    pub name: String,
    pub secret_count: i64,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// A secret without its value: all that any list call returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecretMeta {
    pub id: SecretId,
    pub name: String,
    pub description: String,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// One page of a filtered secret list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecretPage {
    pub items: Vec<SecretMeta>,
    /// All matches, ignoring the page's limit and offset.
    pub total: i64,
}

/// The input fields that validation can fault, so errors can be shown next to the right field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    ApplicationName,
    SecretName,
    SecretValue,
    Description,
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn timestamps_render_as_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01 00:00:00");
        assert_eq!(Timestamp(951_782_400).to_string(), "2000-02-29 00:00:00");
        assert_eq!(Timestamp(1_795_000_000).to_string(), "2026-11-18 11:06:40");
        assert_eq!(Timestamp(4_107_542_399).to_string(), "2100-02-28 23:59:59");
    }
}
