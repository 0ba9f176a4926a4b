//! The hand-written baseline: the least a person writing these four handlers with axum and
//! sqlx would write — no validation, no auth, no cache, no hooks, no problem+json — running
//! exactly the SQL gotemp runs (the same row, the same outbox insert and notify), so the
//! difference between the two is what gotemp's layers cost.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::{PgPool, Row as _};

/// The hand-written handler on a free port, over the database of `pg_url` (gotemp's own role's
/// URL) reached as the tests' administrator, outside the tenants' row-level security that holds
/// gotemp's role: what the SQL alone costs. That URL (pgbench runs on it too), and the handler's.
pub async fn serve(pg_url: &str) -> (String, String) {
    let url = gotemp_testing::as_administrator(pg_url).await;
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = router(db);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, base)
}

const COLUMNS: &str =
    "id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version";

#[derive(serde::Serialize)]
struct Customer {
    id: String,
    name: String,
    valid_from: DateTime<Utc>,
    valid_thru: DateTime<Utc>,
    extra_fields: Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    modified_by: i64,
    version: i64,
}

/// Read by column name, as a hand-written service would (the workspace builds sqlx without its
/// derive macros).
impl sqlx::FromRow<'_, PgRow> for Customer {
    fn from_row(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            valid_from: row.try_get("valid_from")?,
            valid_thru: row.try_get("valid_thru")?,
            extra_fields: row.try_get("extra_fields")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            modified_by: row.try_get("modified_by")?,
            version: row.try_get("version")?,
        })
    }
}

#[derive(Deserialize)]
struct NewCustomer {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Changes {
    name: String,
}

#[derive(Deserialize)]
struct Page {
    limit: i64,
}

type Reply = Result<Json<Value>, StatusCode>;

fn fail(e: sqlx::Error) -> StatusCode {
    match e {
        sqlx::Error::RowNotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn get_one(State(db): State<PgPool>, Path(id): Path<String>) -> Reply {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE id = $1");
    let c: Customer = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&db)
        .await
        .map_err(fail)?;
    Ok(Json(json!(c)))
}

async fn list(State(db): State<PgPool>, Query(p): Query<Page>) -> Reply {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE 1 = 1 ORDER BY id LIMIT $1");
    let rows: Vec<Customer> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(p.limit + 1)
        .fetch_all(&db)
        .await
        .map_err(fail)?;
    Ok(Json(json!({ "items": rows })))
}

/// The audit event, in the format gotemp's outbox holds (so gotemp's relay, draining the same
/// outbox table during the run, treats these events like its own).
async fn enqueue(
    tx: &mut sqlx::PgConnection,
    c: &Customer,
    action: &str,
) -> Result<(), sqlx::Error> {
    let id = uuid::Uuid::now_v7();
    let event = json!({
        "event_id": id, "schema_version": 1, "occurred_at": c.updated_at, "service": "customer",
        "action_func": if action == "insert" { "create_customer" } else { "update_customer" },
        "action_type": action,
        "object_name": "customer", "object_id": c.id, "performed_by": c.modified_by,
        "object_detail": c,
    });
    sqlx::query(
        "INSERT INTO outbox (event_id, topic, payload, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(format!("gotemp.audit.customer.{action}"))
    .bind(event)
    .bind(Utc::now())
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify('gotemp_outbox', '')")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn create(
    State(db): State<PgPool>,
    Json(n): Json<NewCustomer>,
) -> Result<(StatusCode, Json<Value>), StatusCode> {
    let mut tx = db.begin().await.map_err(fail)?;
    let sql = format!(
        "INSERT INTO customers (id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) RETURNING {COLUMNS}"
    );
    let now = Utc::now();
    let c: Customer = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(n.id)
        .bind(n.name)
        .bind(now)
        .bind(now + chrono::Duration::days(365))
        .bind(json!({}))
        .bind(now)
        .bind(now)
        .bind(1_i64)
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    enqueue(&mut tx, &c, "insert").await.map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    Ok((StatusCode::CREATED, Json(json!(c))))
}

async fn update(
    State(db): State<PgPool>,
    Path(id): Path<String>,
    Json(ch): Json<Changes>,
) -> Reply {
    let mut tx = db.begin().await.map_err(fail)?;
    let sql = format!(
        "UPDATE customers SET name = $1, updated_at = $2, modified_by = $3, version = version + 1 \
         WHERE id = $4 RETURNING {COLUMNS}"
    );
    let c: Customer = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ch.name)
        .bind(Utc::now())
        .bind(1_i64)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    enqueue(&mut tx, &c, "update").await.map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    Ok(Json(json!(c)))
}

/// The baseline's routes over `db`.
pub fn router(db: PgPool) -> axum::Router {
    axum::Router::new()
        .route("/customers", get(list).post(create))
        .route("/customers/{id}", get(get_one).put(update))
        .with_state(db)
}
