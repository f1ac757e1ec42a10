//! Types that cross the wire between the server functions and the browser. None of them can
//! carry a secret value: values travel only inside the requests that set them.

mod audit;
mod roles;
mod scenarios;
mod users;

pub use audit::*;
pub use roles::*;
pub use scenarios::*;
pub use users::*;

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

impl Timestamp {
    /// Midnight UTC of a `YYYY-MM-DD` date (what `<input type="date">` gives).
    pub fn from_date(date: &str) -> Option<Timestamp> {
        let mut parts = date.trim().splitn(3, '-');
        let y: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let d: i64 = parts.next()?.parse().ok()?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        // Howard Hinnant's days_from_civil, the inverse of `civil_from_days`.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Timestamp((era * 146_097 + doe - 719_468) * 86_400))
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
    /// The latest successful value read recorded in the audit log (panel, API or scenario).
    pub last_read: Option<Timestamp>,
}

/// Page sizes the Secrets page offers, and the one it starts with.
pub const SECRET_PAGE_SIZES: [i64; 4] = [25, 50, 100, 200];
pub const SECRET_PAGE_DEFAULT: i64 = 50;

/// One page of a filtered secret list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecretPage {
    pub items: Vec<SecretMeta>,
    /// All matches, ignoring the page's limit and offset.
    pub total: i64,
}

/// The one account a Strongroom server is, as the Management API names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    /// Lower-case name used in full application names: `<app>.<name>.strongroom`.
    pub name: String,
    pub email: String,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            id: 1,
            name: "default".into(),
            email: "owner@strongroom.local".into(),
        }
    }
}

impl Account {
    /// The suffix after an application's short name in its full name.
    pub fn application_suffix(&self) -> String {
        format!(".{}.strongroom", self.name)
    }

    pub fn full_application_name(&self, short: &str) -> String {
        format!("{short}{}", self.application_suffix())
    }

    /// The short name inside a short or full application name.
    pub fn short_application_name<'a>(&self, name: &'a str) -> &'a str {
        name.strip_suffix(self.application_suffix().as_str())
            .unwrap_or(name)
    }
}

/// A service-account key as listed: never its private half, which the server does not keep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub key_id: String,
    pub role: Role,
    pub description: String,
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
    /// The user who made the key; `None` for a key made on the command line (or before
    /// creators were recorded), which belongs to no user and works until it is revoked.
    pub creator: Option<String>,
    /// Made by the command line (the operator), as the audit log records: with no `creator`
    /// and not this, who made the key is unknown (before creators were recorded).
    pub by_operator: bool,
    /// Why the key no longer works although it was never revoked; `None` while it works.
    pub stopped: Option<KeyStop>,
}

impl ServiceAccount {
    /// Who made the key, as the panel shows it.
    pub fn maker(&self) -> &str {
        match &self.creator {
            Some(user) => user,
            None if self.by_operator => "Command line",
            None => "Unknown (made before creators were recorded)",
        }
    }
}

/// Why a user's key stopped working: a key works only while the user who made it may still
/// make it. Such keys are listed for an Admin or Owner to revoke (or the user to be restored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStop {
    /// The creator was disabled.
    CreatorDisabled,
    /// The creator's role is now this one, below the key's.
    CreatorRole(Role),
}

/// The `credentials.json` handed out once when a key is made; the field names are the ones the
/// official Voximplant clients read.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub account_email: String,
    pub account_id: i64,
    pub key_id: String,
    pub private_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// The account as the panel's API access page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiAccess {
    pub account: Account,
    /// When the current legacy API key was made; `None` when there is none.
    pub api_key_created: Option<Timestamp>,
    pub service_accounts: Vec<ServiceAccount>,
}

/// The input fields that validation can fault, so errors can be shown next to the right field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    ApplicationName,
    SecretName,
    SecretValue,
    Description,
    Username,
    Password,
    NewPassword,
    SetupCode,
    ScenarioName,
    ScenarioCode,
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
        assert_eq!(
            Timestamp(253_402_300_799).to_string(),
            "9999-12-31 23:59:59"
        );
        assert_eq!(
            Timestamp(253_402_300_800).to_string(),
            "10000-01-01 00:00:00"
        );
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31 23:59:59");
    }

    #[test]
    fn dates_parse_to_midnight_utc() {
        assert_eq!(Timestamp::from_date("1970-01-01"), Some(Timestamp(0)));
        assert_eq!(
            Timestamp::from_date("2000-02-29"),
            Some(Timestamp(951_782_400))
        );
        let t = Timestamp::from_date("2026-11-26").expect("valid");
        assert_eq!(t.to_string(), "2026-11-26 00:00:00");
        assert_eq!(Timestamp::from_date("2026-13-01"), None);
        assert_eq!(Timestamp::from_date("yesterday"), None);
    }
}
