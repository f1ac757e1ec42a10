//! Applications: create, list, rename, delete. Each owns a data key (wrapped by the master key)
//! and its secrets; deleting one deletes both.

use super::audit::{self, Actor, Event, Target};
use super::crypto::DataKey;
use super::secrets::ApplicationRef;
use super::{SecretStore, StoreError, is_unique_violation, now};
use crate::backend::Db;
use shared::model::{ApplicationId, ApplicationSummary, AuditAction, Field, Timestamp};
use shared::validation::check_application_name;
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    id: i64,
    name: String,
    secret_count: i64,
    created_at: i64,
    modified_at: i64,
}

impl From<ApplicationRow> for ApplicationSummary {
    fn from(row: ApplicationRow) -> Self {
        ApplicationSummary {
            id: ApplicationId(row.id),
            name: row.name,
            secret_count: row.secret_count,
            created: Timestamp(row.created_at),
            modified: Timestamp(row.modified_at),
        }
    }
}

const SELECT_SUMMARY: &str = "SELECT a.id, a.name, a.created_at, a.modified_at, \
     (SELECT COUNT(*) FROM secrets s WHERE s.application_id = a.id) AS secret_count \
     FROM applications a";

/// Which applications a paged list returns.
#[derive(Clone, Debug)]
pub struct ApplicationFilter {
    pub id: Option<ApplicationId>,
    /// Case-insensitive substring of the name.
    pub name_part: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Items named by id and by name for a bulk delete, or every item. A delete is one statement
/// whatever the size, with a bound parameter per listed item: callers cap the lists (the
/// Management API at `LIST_MAX_ITEMS` each).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub all: bool,
    pub ids: Vec<i64>,
    pub names: Vec<String>,
}

/// Audit records written per statement by a bulk delete, however many `all` deletes: one
/// parameter per column each, well under the engine's limit per statement.
const AUDIT_ROWS_PER_STATEMENT: usize = 500;
const _: () =
    assert!(AUDIT_ROWS_PER_STATEMENT * audit::COLUMN_COUNT <= crate::backend::MAX_BIND_PARAMETERS);

impl Selection {
    pub(super) fn is_empty(&self) -> bool {
        !self.all && self.ids.is_empty() && self.names.is_empty()
    }

    /// ` AND (id IN (..) OR name IN (..))` over the listed items; nothing for `all`, which takes
    /// every row the statement's own condition allows.
    pub(super) fn push_condition(&self, sql: &mut QueryBuilder<'_, Db>) {
        if self.all {
            return;
        }
        sql.push(" AND (");
        if !self.ids.is_empty() {
            let mut ids = sql.separated(", ");
            ids.push_unseparated("id IN (");
            for id in &self.ids {
                ids.push_bind(*id);
            }
            ids.push_unseparated(")");
        }
        if !self.names.is_empty() {
            if !self.ids.is_empty() {
                sql.push(" OR ");
            }
            let mut names = sql.separated(", ");
            names.push_unseparated("name IN (");
            for name in &self.names {
                names.push_bind(name.clone());
            }
            names.push_unseparated(")");
        }
        sql.push(")");
    }

    /// All or nothing: the first listed id, then name, that is not among `found` (what the
    /// statement deleted), as `id_unknown` / `name_unknown` make it.
    pub(super) fn check_found<'a>(
        &self,
        found: impl IntoIterator<Item = (i64, &'a str)>,
        id_unknown: impl FnOnce(i64) -> StoreError,
        name_unknown: impl FnOnce(String) -> StoreError,
    ) -> Result<(), StoreError> {
        let (ids, names): (HashSet<i64>, HashSet<&str>) = found.into_iter().unzip();
        if let Some(id) = self.ids.iter().find(|id| !ids.contains(id)) {
            return Err(id_unknown(*id));
        }
        if let Some(name) = self.names.iter().find(|n| !names.contains(n.as_str())) {
            return Err(name_unknown(name.clone()));
        }
        Ok(())
    }
}

/// Writes the records of a bulk delete, a few hundred per statement.
pub(super) async fn record_all(
    tx: &mut crate::backend::Conn,
    by: &Actor,
    events: &[Event],
) -> Result<(), StoreError> {
    let at = now();
    for chunk in events.chunks(AUDIT_ROWS_PER_STATEMENT) {
        let records: Vec<_> = chunk.iter().map(|event| (by, event, at)).collect();
        audit::record_many(&mut *tx, &records).await?;
    }
    Ok(())
}

fn checked_name(name: &str) -> Result<(), StoreError> {
    check_application_name(name).map_err(|m| StoreError::invalid(Field::ApplicationName, m))
}

impl SecretStore {
    pub async fn list_applications(&self) -> Result<Vec<ApplicationSummary>, StoreError> {
        let rows: Vec<ApplicationRow> =
            sqlx::query_as(&format!("{SELECT_SUMMARY} ORDER BY a.name"))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One page of applications ordered by id, and how many match in all.
    pub async fn list_applications_page(
        &self,
        filter: &ApplicationFilter,
    ) -> Result<(Vec<ApplicationSummary>, i64), StoreError> {
        let Some(pattern) = super::like_pattern(filter.name_part.as_deref()) else {
            return Ok((Vec::new(), 0));
        };
        let condition = "($1 IS NULL OR a.id = $1) AND LOWER(a.name) LIKE $2 ESCAPE '\\'";
        let id = filter.id.map(|id| id.0);
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM applications a WHERE {condition}"
        ))
        .bind(id)
        .bind(&pattern)
        .fetch_one(&mut *conn)
        .await?;
        let rows: Vec<ApplicationRow> = sqlx::query_as(&format!(
            "{SELECT_SUMMARY} WHERE {condition} ORDER BY a.id LIMIT $3 OFFSET $4"
        ))
        .bind(id)
        .bind(&pattern)
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(&mut *conn)
        .await?;
        Ok((rows.into_iter().map(Into::into).collect(), total))
    }

    /// The application `which` names, by id or by short or full name: the one lookup the
    /// Management API and the command line share (the panel knows ids only).
    /// `ApplicationNotFound` when none.
    pub async fn find_application(
        &self,
        which: ApplicationRef<'_>,
    ) -> Result<ApplicationId, StoreError> {
        let id: Option<i64> = match self.stored_ref(which) {
            ApplicationRef::Id(id) => {
                sqlx::query_scalar("SELECT id FROM applications WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
            }
            ApplicationRef::Name(name) => {
                sqlx::query_scalar("SELECT id FROM applications WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        id.map(ApplicationId).ok_or(StoreError::ApplicationNotFound)
    }

    /// `which` as the database holds it: names are stored short (`calls`), and a full name
    /// (`calls.<account>.strongroom`) of this server's account means the same application.
    pub(super) fn stored_ref<'a>(&self, which: ApplicationRef<'a>) -> ApplicationRef<'a> {
        match which {
            ApplicationRef::Name(name) => {
                ApplicationRef::Name(self.account.short_application_name(name))
            }
            id => id,
        }
    }

    /// Deletes every selected application with its secrets, or none: an unknown id or name
    /// fails the whole call. Returns how many applications went. Two statements however many
    /// are selected (the secrets, then the applications), each audited as before.
    pub async fn delete_applications(
        &self,
        by: &Actor,
        selection: &Selection,
    ) -> Result<u64, StoreError> {
        if selection.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write_transaction().await?;
        // Explicitly, not by the cascade: each secret's delete triggers (name index, read
        // generation) run, and the count per application goes into its record.
        let mut sql = QueryBuilder::<Db>::new(
            "DELETE FROM secrets WHERE application_id IN (SELECT id FROM applications WHERE 1 = 1",
        );
        selection.push_condition(&mut sql);
        sql.push(") RETURNING application_id");
        let owners: Vec<i64> = sql.build_query_scalar().fetch_all(&mut *tx).await?;
        let mut secrets_of: HashMap<i64, u64> = HashMap::new();
        for owner in owners {
            *secrets_of.entry(owner).or_default() += 1;
        }
        let mut sql = QueryBuilder::<Db>::new("DELETE FROM applications WHERE 1 = 1");
        selection.push_condition(&mut sql);
        sql.push(" RETURNING id, name");
        let mut deleted: Vec<(i64, String)> = sql.build_query_as().fetch_all(&mut *tx).await?;
        // Returning here drops the transaction: nothing was deleted.
        selection.check_found(
            deleted.iter().map(|(id, name)| (*id, name.as_str())),
            StoreError::ApplicationIdUnknown,
            StoreError::ApplicationNameUnknown,
        )?;
        deleted.sort_unstable();
        let events: Vec<Event> = deleted
            .iter()
            .map(|(id, name)| {
                let secrets = secrets_of.get(id).copied().unwrap_or(0);
                Event::success(
                    AuditAction::ApplicationDelete,
                    Target::application(ApplicationId(*id), name),
                )
                .with_detail(format!("with {secrets} secrets"))
            })
            .collect();
        record_all(&mut tx, by, &events).await?;
        tx.commit().await?;
        Ok(deleted.len() as u64)
    }

    pub async fn get_application(
        &self,
        id: ApplicationId,
    ) -> Result<ApplicationSummary, StoreError> {
        let row: Option<ApplicationRow> =
            sqlx::query_as(&format!("{SELECT_SUMMARY} WHERE a.id = $1"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Into::into).ok_or(StoreError::ApplicationNotFound)
    }

    pub async fn create_application(
        &self,
        by: &Actor,
        name: &str,
    ) -> Result<ApplicationSummary, StoreError> {
        checked_name(name)?;
        let now = now();
        let mut tx = self.write_transaction().await?;
        // The wrapped key is bound to the id, which exists only after the insert.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO applications (name, wrapped_key, created_at, modified_at) \
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(name)
        .bind(Vec::<u8>::new())
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| duplicate_or(e, name))?;
        let id = ApplicationId(id);
        let wrapped = self.master.wrap(id, &DataKey::generate())?;
        sqlx::query("UPDATE applications SET wrapped_key = $1 WHERE id = $2")
            .bind(wrapped)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let event = Event::success(
            AuditAction::ApplicationCreate,
            Target::application(id, name),
        );
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        self.get_application(id).await
    }

    pub async fn rename_application(
        &self,
        by: &Actor,
        id: ApplicationId,
        name: &str,
    ) -> Result<ApplicationSummary, StoreError> {
        checked_name(name)?;
        let mut tx = self.write_transaction().await?;
        let old: String = sqlx::query_scalar("SELECT name FROM applications WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::ApplicationNotFound)?;
        sqlx::query("UPDATE applications SET name = $1, modified_at = $2 WHERE id = $3")
            .bind(name)
            .bind(now().0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| duplicate_or(e, name))?;
        if old != name {
            let event = Event::success(
                AuditAction::ApplicationRename,
                Target::application(id, name),
            )
            .with_detail(format!("renamed from {old}"));
            audit::record(&mut tx, by, &event).await?;
        }
        tx.commit().await?;
        self.get_application(id).await
    }

    /// Deletes the application, its secrets and its data key; returns how many secrets went.
    pub async fn delete_application(
        &self,
        by: &Actor,
        id: ApplicationId,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_transaction().await?;
        let deleted = sqlx::query("DELETE FROM secrets WHERE application_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let name: String =
            sqlx::query_scalar("DELETE FROM applications WHERE id = $1 RETURNING name")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::ApplicationNotFound)?;
        let event = Event::success(
            AuditAction::ApplicationDelete,
            Target::application(id, &name),
        )
        .with_detail(format!("with {deleted} secrets"));
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(i64::try_from(deleted).unwrap_or(i64::MAX))
    }

    /// Loads and unwraps an application's data key and returns it with the application's
    /// name, taking the write lock first when `tx` is a write transaction: the `modified_at`
    /// update is the first statement on purpose.
    pub(super) async fn touch_application(
        &self,
        tx: &mut crate::backend::Conn,
        id: ApplicationId,
    ) -> Result<(super::crypto::DataKey, String), StoreError> {
        let row: Option<(Vec<u8>, String)> = sqlx::query_as(
            "UPDATE applications SET modified_at = $1 WHERE id = $2 RETURNING wrapped_key, name",
        )
        .bind(now().0)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let (wrapped, name) = row.ok_or(StoreError::ApplicationNotFound)?;
        Ok((self.master.unwrap(id, &wrapped)?, name))
    }
}

fn duplicate_or(err: sqlx::Error, name: &str) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::DuplicateApplication(name.to_owned())
    } else {
        err.into()
    }
}
