//! Name search through SQLite's FTS5 trigram index.

use sqlx::QueryBuilder;

use super::Db;

/// The secrets of one application whose lower-cased name contains a part: through the trigram
/// index (`secret_names`, FTS5, migration 0005) when the part is long enough, by a scan of the
/// application's names otherwise; every hit is checked against the part's `LIKE` pattern.
pub(crate) struct NameMatch {
    /// The FTS5 query, for a part of three characters (a trigram) or more.
    phrase: Option<String>,
    pattern: String,
}

impl NameMatch {
    /// `None` when no name can match: a character no name may hold (which also could not be
    /// quoted safely into the FTS5 phrase).
    pub(crate) fn new(part: &str, pattern: String) -> Option<Self> {
        let indexed = part.chars().count() >= 3;
        if indexed && !part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        // Quoted, the part is one FTS5 string: a run of trigrams in order.
        let phrase = indexed.then(|| format!("\"{part}\""));
        Some(NameMatch { phrase, pattern })
    }

    /// Appends `FROM … WHERE …` (secrets as `s`) to a `SELECT`.
    pub(crate) fn push_from(&self, sql: &mut QueryBuilder<'static, Db>, application_id: i64) {
        match &self.phrase {
            // `+` keeps SQLite from driving the query by the application's index (a scan of
            // all its names) instead of by the trigram hits.
            Some(phrase) => sql
                .push(" FROM secret_names f JOIN secrets s ON s.id = f.rowid WHERE secret_names MATCH ")
                .push_bind(phrase.clone())
                .push(" AND +s.application_id = "),
            None => sql.push(" FROM secrets s WHERE s.application_id = "),
        };
        sql.push_bind(application_id)
            .push(" AND LOWER(s.name) LIKE ")
            .push_bind(self.pattern.clone())
            .push(" ESCAPE '\\'");
    }
}
