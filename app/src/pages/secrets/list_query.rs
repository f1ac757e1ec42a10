//! The Secrets page's address: what it asks for, read from and written to the URL.

use leptos_router::params::ParamsMap;

use super::super::url_encode;
use shared::model::{ApplicationId, SECRET_PAGE_DEFAULT, SECRET_PAGE_SIZES};

/// What the URL asks the Secrets page for: `?q=<name part>&page=<1-based>&size=<page size>`.
/// Kept in the URL so a filtered page survives a reload and can be shared.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ListQuery {
    pub name_part: String,
    pub page: i64,
    pub size: i64,
}

impl ListQuery {
    pub fn from_params(params: &ParamsMap) -> Self {
        let size = params
            .get("size")
            .and_then(|s| s.parse().ok())
            .filter(|s| SECRET_PAGE_SIZES.contains(s))
            .unwrap_or(SECRET_PAGE_DEFAULT);
        ListQuery {
            name_part: params.get("q").unwrap_or_default().trim().to_owned(),
            page: params
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p: &i64| *p >= 1)
                .unwrap_or(1),
            size,
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }

    /// This page's address with other values; defaults are left out.
    pub fn url(&self, app: ApplicationId) -> String {
        let mut pairs = Vec::new();
        if !self.name_part.trim().is_empty() {
            pairs.push(format!("q={}", url_encode(self.name_part.trim())));
        }
        if self.page > 1 {
            pairs.push(format!("page={}", self.page));
        }
        if self.size != SECRET_PAGE_DEFAULT {
            pairs.push(format!("size={}", self.size));
        }
        let base = format!("/applications/{}/secrets", app.0);
        if pairs.is_empty() {
            base
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    }
}
