//! The audit log: who did what, through which door, from where, and how it ended. Writes call
//! `record` inside their own transaction, so a change and its record commit together or not
//! at all. Nothing here ever sees a secret value.

use super::{SecretStore, StoreError, now};
use crate::backend::{Conn, Db};
use shared::model::{
    ApplicationId, AuditAction, AuditEntry, AuditPage, AuditQuery, Outcome, SecretId, Source,
    Timestamp,
};
use sqlx::QueryBuilder;
use std::borrow::Cow;

/// Who is acting: a signed-in user, an API credential, or the server itself (the CLI).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActorKind {
    User(String),
    ServiceAccount(String),
    ApiKey,
    System(&'static str),
}

/// The actor of an audited event, with the door it came through and its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub source: Source,
    pub client_ip: Option<String>,
}

impl Actor {
    pub fn user(username: &str, source: Source, client_ip: Option<String>) -> Self {
        Actor {
            kind: ActorKind::User(username.to_owned()),
            source,
            client_ip,
        }
    }

    /// The command line (or a test) acting with the server's own authority.
    pub fn system(name: &'static str) -> Self {
        Actor {
            kind: ActorKind::System(name),
            source: Source::Cli,
            client_ip: None,
        }
    }

    fn kind_str(&self) -> &'static str {
        match self.kind {
            ActorKind::User(_) => "user",
            ActorKind::ServiceAccount(_) => "service_account",
            ActorKind::ApiKey => "api_key",
            ActorKind::System(_) => "system",
        }
    }

    /// The name the audit log shows for this actor.
    pub fn name(&self) -> &str {
        match &self.kind {
            ActorKind::User(name) | ActorKind::ServiceAccount(name) => name,
            ActorKind::ApiKey => "api key",
            ActorKind::System(name) => name,
        }
    }
}

/// What an event was about. Names are copied in, so a record still reads after a rename or
/// a delete.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub application: Option<(ApplicationId, String)>,
    pub secret: Option<(SecretId, String)>,
    /// Anything else: a username, a key id, a server function's name.
    pub other: Option<String>,
}

impl Target {
    pub fn other(what: impl Into<String>) -> Self {
        Target {
            other: Some(what.into()),
            ..Target::default()
        }
    }

    pub fn application(id: ApplicationId, name: &str) -> Self {
        Target {
            application: Some((id, name.to_owned())),
            ..Target::default()
        }
    }

    pub fn secret(app: ApplicationId, app_name: &str, id: SecretId, name: &str) -> Self {
        Target {
            application: Some((app, app_name.to_owned())),
            secret: Some((id, name.to_owned())),
            other: None,
        }
    }
}

/// One audited event.
#[derive(Clone, Debug)]
pub struct Event {
    pub action: AuditAction,
    pub outcome: Outcome,
    pub target: Target,
    /// Free text for people (which fields changed, how a value was read): never a value.
    pub detail: String,
}

impl Event {
    pub fn success(action: AuditAction, target: Target) -> Self {
        Event {
            action,
            outcome: Outcome::Success,
            target,
            detail: String::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// Writes one record on `conn`, normally inside the transaction of the change it describes.
pub(super) async fn record(
    conn: &mut Conn,
    actor: &Actor,
    event: &Event,
) -> Result<(), StoreError> {
    record_many(conn, &[(actor, event, now())]).await
}

/// The most bytes an audit field keeps of caller text: names (actors, targets, applications,
/// secrets), free-text details, and addresses. Every write passes through `Row::new`, so
/// nothing a caller sends, however long, becomes a long row.
pub(super) const NAME_CAP: usize = 256;
pub(super) const DETAIL_CAP: usize = 1024;
pub(super) const ADDRESS_CAP: usize = 64;
/// Ends a field that was cut, so a reader knows that the text went on.
pub(super) const CUT_MARKER: &str = "\u{2026}[cut]";

/// `text`, or its start and `CUT_MARKER` within `cap` bytes, cut on a character boundary.
pub(super) fn capped(text: &str, cap: usize) -> Cow<'_, str> {
    if text.len() <= cap {
        return Cow::Borrowed(text);
    }
    let end = text.floor_char_boundary(cap.saturating_sub(CUT_MARKER.len()));
    Cow::Owned(format!("{}{CUT_MARKER}", &text[..end]))
}

/// One record as the audit log stores it: a row of `COLUMNS`, field for field, caller text
/// capped (borrowed when it fits, as nearly always).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Row<'a> {
    pub at: i64,
    pub actor_kind: &'static str,
    pub actor: Cow<'a, str>,
    pub source: &'static str,
    pub client_ip: Option<Cow<'a, str>>,
    pub action: &'static str,
    pub outcome: &'static str,
    pub application_id: Option<i64>,
    pub application_name: Option<Cow<'a, str>>,
    pub secret_id: Option<i64>,
    pub secret_name: Option<Cow<'a, str>>,
    pub target: Option<Cow<'a, str>>,
    pub detail: Cow<'a, str>,
}

/// The columns a `Row` fills, in its field order.
pub(crate) const COLUMNS: &str = "at, actor_kind, actor, source, client_ip, action, outcome, \
     application_id, application_name, secret_id, secret_name, target, detail";
/// How many `COLUMNS` there are (fields of `Row`).
pub(crate) const COLUMN_COUNT: usize = 13;

impl<'a> Row<'a> {
    pub(super) fn new(actor: &'a Actor, event: &'a Event, at: Timestamp) -> Self {
        let target = &event.target;
        let name = |text: &'a str| capped(text, NAME_CAP);
        let (application_id, application_name) = target
            .application
            .as_ref()
            .map(|(id, app)| (id.0, name(app)))
            .unzip();
        let (secret_id, secret_name) = target
            .secret
            .as_ref()
            .map(|(id, secret)| (id.0, name(secret)))
            .unzip();
        Row {
            at: at.0,
            actor_kind: actor.kind_str(),
            actor: name(actor.name()),
            source: actor.source.as_str(),
            client_ip: actor.client_ip.as_deref().map(|ip| capped(ip, ADDRESS_CAP)),
            action: event.action.as_str(),
            outcome: event.outcome.as_str(),
            application_id,
            application_name,
            secret_id,
            secret_name,
            target: target.other.as_deref().map(name),
            detail: capped(&event.detail, DETAIL_CAP),
        }
    }
}

/// Writes several records (each with its own time) in one statement.
pub(super) async fn record_many(
    conn: &mut Conn,
    records: &[(&Actor, &Event, Timestamp)],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let mut sql = QueryBuilder::<Db>::new(format!("INSERT INTO audit_log ({COLUMNS}) "));
    sql.push_values(records, |mut values, (actor, event, at)| {
        let row = Row::new(actor, event, *at);
        values
            .push_bind(row.at)
            .push_bind(row.actor_kind)
            .push_bind(row.actor)
            .push_bind(row.source)
            .push_bind(row.client_ip)
            .push_bind(row.action)
            .push_bind(row.outcome)
            .push_bind(row.application_id)
            .push_bind(row.application_name)
            .push_bind(row.secret_id)
            .push_bind(row.secret_name)
            .push_bind(row.target)
            .push_bind(row.detail);
    });
    sql.build().execute(&mut *conn).await?;
    Ok(())
}

/// Page size of the Audit page when the query names none, and the most it may ask for.
const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor_kind: String,
    actor: String,
    source: String,
    client_ip: Option<String>,
    action: String,
    outcome: String,
    application_id: Option<i64>,
    application_name: Option<String>,
    secret_id: Option<i64>,
    secret_name: Option<String>,
    target: Option<String>,
    detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            id: row.id,
            at: Timestamp(row.at),
            actor_kind: row.actor_kind,
            actor: row.actor,
            source: row.source,
            client_ip: row.client_ip,
            action: row.action,
            outcome: row.outcome,
            application_id: row.application_id.map(ApplicationId),
            application_name: row.application_name,
            secret_id: row.secret_id.map(SecretId),
            secret_name: row.secret_name,
            target: row.target,
            detail: row.detail,
        }
    }
}

impl SecretStore {
    /// Records an event that changes nothing else (a failed sign-in, a refused request).
    pub async fn record_event(&self, actor: &Actor, event: &Event) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        record(&mut conn, actor, event).await
    }

    /// Records that `actor` was refused `tried` (a server function's path, an API method) for
    /// the reason in `detail`: the one `denied` record every door leaves before it answers 403.
    pub async fn record_denied(
        &self,
        actor: &Actor,
        tried: &str,
        detail: String,
    ) -> Result<(), StoreError> {
        let event = Event {
            action: AuditAction::Denied,
            outcome: Outcome::Denied,
            target: Target::other(tried),
            detail,
        };
        self.record_event(actor, &event).await
    }

    /// Newest first, filtered, one page. Keyset paging on the id: a page stays correct while
    /// new records arrive, and a deep page costs no more than the first.
    pub async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let mut rows: Vec<AuditRow> = self
            .audit_page_query(query, limit)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_before = if more {
            rows.last().map(|row| row.id)
        } else {
            None
        };
        Ok(AuditPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_before,
        })
    }

    /// The Audit page's query: `query`'s records, newest first, `limit` of them and one more
    /// (which tells whether another page follows).
    pub(super) fn audit_page_query(
        &self,
        query: &AuditQuery,
        limit: i64,
    ) -> QueryBuilder<'static, Db> {
        let mut sql = QueryBuilder::<Db>::new(
            "SELECT id, at, actor_kind, actor, source, client_ip, action, outcome, \
             application_id, application_name, secret_id, secret_name, target, detail \
             FROM audit_log WHERE 1 = 1",
        );
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        if let Some(app) = text(&query.application) {
            let short = self.account.short_application_name(&app).to_owned();
            sql.push(" AND application_name = ").push_bind(short);
        }
        if let Some(secret) = text(&query.secret) {
            sql.push(" AND secret_name = ").push_bind(secret);
        }
        if let Some(actor) = text(&query.actor) {
            sql.push(" AND actor = ").push_bind(actor);
        }
        if let Some(action) = query.action {
            // Implies the condition of the partial index on actions, so the planner may use it
            // (reads, left out of it, are found fastest by scanning the newest rows).
            if action != AuditAction::SecretRead {
                sql.push(" AND action <> 'secret.read'");
            }
            sql.push(" AND action = ").push_bind(action.as_str());
        }
        if let Some(since) = query.since {
            sql.push(" AND at >= ").push_bind(since.0);
        }
        if let Some(until) = query.until {
            sql.push(" AND at <= ").push_bind(until.0);
        }
        if let Some(before) = query.before {
            sql.push(" AND id < ").push_bind(before);
        }
        sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit + 1);
        sql
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_column_count_matches_the_columns() {
        assert_eq!(super::COLUMNS.split(',').count(), super::COLUMN_COUNT);
    }
}
