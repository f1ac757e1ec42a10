//! Secrets of one application: every query is scoped by the application id, so a secret of
//! another application looks exactly like one that does not exist.

use super::applications::Selection;
use super::audit::{self, Actor, Event, Target};
use super::crypto::{DataKey, SecretValue};
use super::{SecretStore, StoreError, is_unique_violation, now};
use crate::backend::{Db, NameMatch};
use shared::model::{
    ApplicationId, AuditAction, Field, SecretId, SecretMeta, SecretPage, Timestamp,
};
use sqlx::QueryBuilder;

use shared::validation::{check_secret_name, check_secret_value, normalize_description};

pub struct NewSecret {
    pub name: String,
    pub value: SecretValue,
    pub description: String,
}

/// Only the `Some` fields change.
#[derive(Default)]
pub struct SecretChanges {
    pub name: Option<String>,
    pub value: Option<SecretValue>,
    pub description: Option<String>,
}

/// Which secrets a list returns: an optional case-insensitive name substring, and a page.
#[derive(Clone, Debug)]
pub struct SecretFilter {
    pub name_part: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for SecretFilter {
    fn default() -> Self {
        SecretFilter {
            name_part: None,
            limit: i64::MAX,
            offset: 0,
        }
    }
}

/// Which secret of an application: by id or by exact name.
#[derive(Clone, Copy, Debug)]
pub enum SecretRef<'a> {
    Id(SecretId),
    Name(&'a str),
}

/// Why a value is read. The audit record of the read says it, in the words below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadPurpose<'a> {
    /// Shown in the panel (Reveal).
    Reveal,
    /// Put on the clipboard from the panel (Copy).
    Copy,
    /// Returned by the Management API's GetSecretValue.
    Api,
    /// Read by a run of the scenario with this name (`VoxEngine.getSecretValue`).
    Scenario(&'a str),
}

impl ReadPurpose<'_> {
    /// The detail of the read's audit record (the words earlier releases wrote).
    pub fn audit_detail(self) -> String {
        match self {
            ReadPurpose::Reveal => "reveal".to_owned(),
            ReadPurpose::Copy => "copy".to_owned(),
            ReadPurpose::Api => "GetSecretValue".to_owned(),
            ReadPurpose::Scenario(name) => format!("scenario {name}"),
        }
    }
}

/// What a read returns: the secret, its application, and the plaintext.
#[derive(Debug)]
pub struct SecretRead {
    pub application: ApplicationId,
    pub meta: SecretMeta,
    pub value: SecretValue,
}

/// A decrypted row before its record has committed.
struct OpenedRow {
    application: ApplicationId,
    meta: SecretMeta,
    value: SecretValue,
    generation: i64,
}

impl From<OpenedRow> for SecretRead {
    fn from(row: OpenedRow) -> Self {
        SecretRead {
            application: row.application,
            meta: row.meta,
            value: row.value,
        }
    }
}

/// A secret's metadata with what it takes to decrypt its value.
#[derive(sqlx::FromRow)]
struct ReadRow {
    #[sqlx(flatten)]
    meta: SecretRow,
    sealed_value: Vec<u8>,
    application_id: i64,
    wrapped_key: Vec<u8>,
    application_name: String,
    /// The `read_generation` counter in the same snapshot as the row.
    generation: i64,
}

/// One secret with its value and its application's wrapped key, and the read generation.
fn read_query(app: ApplicationRef<'_>, which: SecretRef<'_>) -> QueryBuilder<'static, Db> {
    let mut sql = QueryBuilder::<Db>::new(format!(
        "SELECT {SECRET_COLUMNS}, s.sealed_value, a.id AS application_id, a.wrapped_key, \
         a.name AS application_name, (SELECT value FROM read_generation WHERE id = 1) AS generation \
         FROM secrets s JOIN applications a ON a.id = s.application_id WHERE "
    ));
    match app {
        ApplicationRef::Id(id) => sql.push("a.id = ").push_bind(id.0),
        ApplicationRef::Name(name) => sql.push("a.name = ").push_bind(name.to_owned()),
    };
    match which {
        SecretRef::Id(id) => sql.push(" AND s.id = ").push_bind(id.0),
        SecretRef::Name(name) => sql.push(" AND s.name = ").push_bind(name.to_owned()),
    };
    sql
}

/// Which application: by id, or by name, short (`calls`) or full (`calls.<account>.strongroom`).
#[derive(Clone, Copy, Debug)]
pub enum ApplicationRef<'a> {
    Id(ApplicationId),
    Name(&'a str),
}

impl From<ApplicationId> for ApplicationRef<'_> {
    fn from(id: ApplicationId) -> Self {
        ApplicationRef::Id(id)
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SecretRow {
    id: i64,
    name: String,
    description: String,
    created_at: i64,
    modified_at: i64,
    last_read_at: Option<i64>,
}

/// The columns of `SecretRow` from `secrets s`; the last read comes from the audit log.
pub(super) const SECRET_COLUMNS: &str = "s.id, s.name, s.description, s.created_at, s.modified_at, \
     (SELECT MAX(r.at) FROM audit_log r WHERE r.secret_id = s.id AND r.action = 'secret.read' \
     AND r.outcome = 'success') AS last_read_at";

impl From<SecretRow> for SecretMeta {
    fn from(row: SecretRow) -> Self {
        SecretMeta {
            id: SecretId(row.id),
            name: row.name,
            description: row.description,
            created: Timestamp(row.created_at),
            modified: Timestamp(row.modified_at),
            last_read: row.last_read_at.map(Timestamp),
        }
    }
}

pub(super) fn checked_name(name: &str) -> Result<(), StoreError> {
    check_secret_name(name).map_err(|m| StoreError::invalid(Field::SecretName, m))
}

pub(super) fn checked_value(value: &SecretValue) -> Result<(), StoreError> {
    check_secret_value(value.expose()).map_err(|m| StoreError::invalid(Field::SecretValue, m))
}

impl SecretStore {
    pub async fn list_secrets(
        &self,
        app: ApplicationId,
        filter: &SecretFilter,
    ) -> Result<SecretPage, StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.require_application(&mut conn, app).await?;
        let part = filter.name_part.as_deref().unwrap_or("").to_lowercase();
        let Some(names) =
            super::like_pattern(Some(&part)).and_then(|pattern| NameMatch::new(&part, pattern))
        else {
            return Ok(SecretPage {
                items: Vec::new(),
                total: 0,
            });
        };
        let matching = |select: &str| {
            let mut sql = QueryBuilder::<Db>::new(select);
            names.push_from(&mut sql, app.0);
            sql
        };
        let total: i64 = matching("SELECT COUNT(*)")
            .build_query_scalar()
            .fetch_one(&mut *conn)
            .await?;
        let mut page = matching(&format!("SELECT {SECRET_COLUMNS}"));
        page.push(" ORDER BY s.id LIMIT ")
            .push_bind(filter.limit)
            .push(" OFFSET ")
            .push_bind(filter.offset);
        let rows: Vec<SecretRow> = page.build_query_as().fetch_all(&mut *conn).await?;
        Ok(SecretPage {
            items: rows.into_iter().map(Into::into).collect(),
            total,
        })
    }

    pub async fn create_secret(
        &self,
        by: &Actor,
        app: ApplicationId,
        new: NewSecret,
    ) -> Result<SecretMeta, StoreError> {
        checked_name(&new.name)?;
        checked_value(&new.value)?;
        let now = now();
        let mut tx = self.write_transaction().await?;
        let (key, app_name) = self.touch_application(&mut tx, app).await?;
        let id = insert_secret(&mut tx, &key, app, &new, now).await?;
        let event = Event::success(
            AuditAction::SecretCreate,
            Target::secret(app, &app_name, id, &new.name),
        );
        audit::record(&mut tx, by, &event).await?;
        let meta = fetch_meta(&mut tx, app, id).await?;
        tx.commit().await?;
        Ok(meta)
    }

    pub async fn update_secret(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: SecretId,
        changes: SecretChanges,
    ) -> Result<SecretMeta, StoreError> {
        if changes.name.is_none() && changes.value.is_none() && changes.description.is_none() {
            return Err(StoreError::NothingToChange);
        }
        if let Some(name) = &changes.name {
            checked_name(name)?;
        }
        if let Some(value) = &changes.value {
            checked_value(value)?;
        }
        let mut tx = self.write_transaction().await?;
        let (key, app_name) = self.touch_application(&mut tx, app).await?;
        let before = fetch_meta_optional(&mut tx, app, id)
            .await?
            .ok_or(StoreError::SecretNotFound)?;
        let updated = sqlx::query(
            "UPDATE secrets SET name = COALESCE($1, name), description = COALESCE($2, description), \
             modified_at = $3 WHERE id = $4 AND application_id = $5",
        )
        .bind(changes.name.as_deref())
        .bind(changes.description.as_deref().map(normalize_description))
        .bind(now().0)
        .bind(id.0)
        .bind(app.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| duplicate_or(e, changes.name.as_deref().unwrap_or_default()))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::SecretNotFound);
        }
        if let Some(value) = &changes.value {
            store_value(&mut tx, &key, app, id, value).await?;
        }
        let meta = fetch_meta(&mut tx, app, id).await?;
        audit::record(
            &mut tx,
            by,
            &update_event(app, &app_name, &before, &meta, &changes),
        )
        .await?;
        tx.commit().await?;
        Ok(meta)
    }

    pub async fn delete_secret(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: SecretId,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        let (_, app_name) = self.touch_application(&mut tx, app).await?;
        let name = delete_one(&mut tx, app, id)
            .await?
            .ok_or(StoreError::SecretNotFound)?;
        let event = Event::success(
            AuditAction::SecretDelete,
            Target::secret(app, &app_name, id, &name),
        );
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes every selected secret of `app`, or none: an unknown id or name fails the whole
    /// call. Returns how many secrets went. One statement however many are selected, and one
    /// record per secret, as before.
    pub async fn delete_secrets(
        &self,
        by: &Actor,
        app: ApplicationId,
        selection: &Selection,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_transaction().await?;
        let (_, app_name) = self.touch_application(&mut tx, app).await?;
        if selection.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        let mut sql = QueryBuilder::<Db>::new("DELETE FROM secrets WHERE application_id = ");
        sql.push_bind(app.0);
        selection.push_condition(&mut sql);
        sql.push(" RETURNING id, name");
        let mut deleted: Vec<(i64, String)> = sql.build_query_as().fetch_all(&mut *tx).await?;
        // Returning here drops the transaction: nothing was deleted.
        selection.check_found(
            deleted.iter().map(|(id, name)| (*id, name.as_str())),
            StoreError::SecretIdUnknown,
            StoreError::SecretNameUnknown,
        )?;
        deleted.sort_unstable();
        let events: Vec<Event> = deleted
            .iter()
            .map(|(id, name)| {
                Event::success(
                    AuditAction::SecretDelete,
                    Target::secret(app, &app_name, SecretId(*id), name),
                )
            })
            .collect();
        super::applications::record_all(&mut tx, by, &events).await?;
        tx.commit().await?;
        Ok(deleted.len() as u64)
    }

    /// Decrypts one value: the only way a plaintext leaves the store (the Management API's
    /// cached path, `read_secret_cached`, is this read served from memory). Every read is
    /// audited with its purpose, and the record is committed before the value is returned.
    /// `SecretNotFound` when the application or the secret is unknown.
    ///
    /// The record goes through the group-commit queue, so reads that arrive together share one
    /// transaction. The row is read outside the write lock, so the record carries the
    /// `read_generation` it was read under: if anything changed before the record could commit,
    /// the read is done again (the value returned is the one current when it was audited).
    /// After two such misses the read takes the write lock itself, so it cannot starve.
    pub async fn read_secret(
        &self,
        by: &Actor,
        app: ApplicationRef<'_>,
        which: SecretRef<'_>,
        purpose: ReadPurpose<'_>,
    ) -> Result<SecretRead, StoreError> {
        let app = self.stored_ref(app);
        for _ in 0..2 {
            let row: ReadRow = read_query(app, which)
                .build_query_as()
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::SecretNotFound)?;
            let (read, event) = self.open_row(row, purpose)?;
            if self
                .reads
                .record_if_current(by, event, read.generation)
                .await?
            {
                return Ok(read.into());
            }
        }
        let mut tx = self.write_transaction().await?;
        let row: ReadRow = read_query(app, which)
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::SecretNotFound)?;
        let (read, event) = self.open_row(row, purpose)?;
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(read.into())
    }

    /// Decrypts a read row's value; the audit event the read needs.
    fn open_row(
        &self,
        row: ReadRow,
        purpose: ReadPurpose<'_>,
    ) -> Result<(OpenedRow, Event), StoreError> {
        let app = ApplicationId(row.application_id);
        let id = SecretId(row.meta.id);
        let key = self.master.unwrap(app, &row.wrapped_key)?;
        let value = key.open_value(app, id, &row.sealed_value)?;
        let event = Event::success(
            AuditAction::SecretRead,
            Target::secret(app, &row.application_name, id, &row.meta.name),
        )
        .with_detail(purpose.audit_detail());
        let read = OpenedRow {
            application: app,
            meta: row.meta.into(),
            value,
            generation: row.generation,
        };
        Ok((read, event))
    }

    /// One secret's metadata, found by id or by exact name (the Management API's lookup; the
    /// panel names secrets by id, and reads go through `read_secret`). `None` when `app` has
    /// no such secret; each door words that its own way.
    pub async fn find_secret(
        &self,
        app: ApplicationId,
        which: SecretRef<'_>,
    ) -> Result<Option<SecretMeta>, StoreError> {
        let mut sql = QueryBuilder::<Db>::new(format!(
            "SELECT {SECRET_COLUMNS} FROM secrets s WHERE s.application_id = "
        ));
        sql.push_bind(app.0);
        match which {
            SecretRef::Id(id) => sql.push(" AND s.id = ").push_bind(id.0),
            SecretRef::Name(name) => sql.push(" AND s.name = ").push_bind(name.to_owned()),
        };
        let row: Option<SecretRow> = sql.build_query_as().fetch_optional(&self.pool).await?;
        Ok(row.map(Into::into))
    }

    pub(super) async fn require_application(
        &self,
        conn: &mut crate::backend::Conn,
        app: ApplicationId,
    ) -> Result<(), StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM applications WHERE id = $1")
            .bind(app.0)
            .fetch_optional(&mut *conn)
            .await?;
        found.map(|_| ()).ok_or(StoreError::ApplicationNotFound)
    }
}

/// Deletes one secret; its name if it existed.
async fn delete_one(
    tx: &mut crate::backend::Conn,
    app: ApplicationId,
    id: SecretId,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "DELETE FROM secrets WHERE id = $1 AND application_id = $2 RETURNING name",
    )
    .bind(id.0)
    .bind(app.0)
    .fetch_optional(&mut *tx)
    .await?)
}

/// One record per update: a rename when the name changed (the old name in the detail), else
/// an update; the detail lists what changed, never the value itself.
fn update_event(
    app: ApplicationId,
    app_name: &str,
    before: &SecretMeta,
    after: &SecretMeta,
    changes: &SecretChanges,
) -> Event {
    let renamed = before.name != after.name;
    let mut changed = Vec::new();
    if renamed {
        changed.push(format!("name (was {})", before.name));
    }
    if changes.value.is_some() {
        changed.push("value".to_owned());
    }
    if before.description != after.description {
        changed.push("description".to_owned());
    }
    let action = if renamed {
        AuditAction::SecretRename
    } else {
        AuditAction::SecretUpdate
    };
    let target = Target::secret(app, app_name, after.id, &after.name);
    let detail = if changed.is_empty() {
        "nothing changed".to_owned()
    } else {
        format!("changed {}", changed.join(", "))
    };
    Event::success(action, target).with_detail(detail)
}

/// Inserts a checked secret and seals its value. The sealed value is bound to the secret id,
/// which exists only after the insert, hence the two statements.
pub(super) async fn insert_secret(
    tx: &mut crate::backend::Conn,
    key: &DataKey,
    app: ApplicationId,
    new: &NewSecret,
    created: Timestamp,
) -> Result<SecretId, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO secrets (application_id, name, description, sealed_value, created_at, modified_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(app.0)
    .bind(&new.name)
    .bind(normalize_description(&new.description))
    .bind(Vec::<u8>::new())
    .bind(created.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| duplicate_or(e, &new.name))?;
    let id = SecretId(id);
    store_value(tx, key, app, id, &new.value).await?;
    Ok(id)
}

async fn store_value(
    tx: &mut crate::backend::Conn,
    key: &DataKey,
    app: ApplicationId,
    id: SecretId,
    value: &SecretValue,
) -> Result<(), StoreError> {
    let sealed = key.seal_value(app, id, value)?;
    sqlx::query("UPDATE secrets SET sealed_value = $1 WHERE id = $2 AND application_id = $3")
        .bind(sealed)
        .bind(id.0)
        .bind(app.0)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn fetch_meta_optional(
    conn: &mut crate::backend::Conn,
    app: ApplicationId,
    id: SecretId,
) -> Result<Option<SecretMeta>, StoreError> {
    let row: Option<SecretRow> = sqlx::query_as(&format!(
        "SELECT {SECRET_COLUMNS} FROM secrets s WHERE s.id = $1 AND s.application_id = $2"
    ))
    .bind(id.0)
    .bind(app.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(Into::into))
}

async fn fetch_meta(
    tx: &mut crate::backend::Conn,
    app: ApplicationId,
    id: SecretId,
) -> Result<SecretMeta, StoreError> {
    fetch_meta_optional(tx, app, id)
        .await?
        .ok_or(StoreError::SecretNotFound)
}

pub(super) fn duplicate_or(err: sqlx::Error, name: &str) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::DuplicateSecret(name.to_owned())
    } else {
        err.into()
    }
}
