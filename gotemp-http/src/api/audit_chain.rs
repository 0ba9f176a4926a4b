//! The audit trail as evidence: verifying the caller's tenant's hash chain, its signed
//! checkpoints and the keys that sign them (auditors and administrators; docs/audit.md).

use super::*;
use gotemp_core::audit_chain::{Checkpoint, Verification};

/// Where a verification starts and how much it reads.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct VerifyQuery {
    /// The first seq to check (1: the chain's start); resume with a report's `next_from_seq`.
    #[param(value_type = Option<i64>, minimum = 1)]
    from_seq: Option<String>,
    /// Most records to read in this call: 1 to 100,000 (default 10,000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    limit: Option<String>,
}

/// Recomputes the caller's tenant's chain — every record's hash and link, and every stored
/// checkpoint's signature and head — and names the first record that breaks it, if any.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", params(VerifyQuery),
    responses(
        (status = 200, description = "What the check found: `ok`, or the first break (`changed`, `missing`, `out_of_order`, `truncated`, `bad_signature`) and its seq", body = Verification),
        (status = 400, description = "from_seq or limit out of range", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Neither an auditor nor an administrator", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn verify_audit(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: VerifyQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let from_seq = int::<i64>(&mut v, "from_seq", q.from_seq);
    let limit = int::<u32>(&mut v, "limit", q.limit);
    finish(v)?;
    let report = state.app.audit().verify(&actor, from_seq, limit).await?;
    Ok(axum::Json(report).into_response())
}

/// Which checkpoint.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct CheckpointQuery {
    /// The checkpoint of this many records; the latest when absent.
    #[param(value_type = Option<i64>, minimum = 1)]
    size: Option<String>,
}

/// A signed checkpoint of one tenant's chain.
#[derive(Serialize, ToSchema)]
pub(super) struct CheckpointView {
    /// Whose chain.
    tenant: String,
    /// How many records it held.
    size: i64,
    /// The hash of its last record (hex).
    hash: String,
    /// When it was signed.
    time: DateTime<Utc>,
    /// The size of the checkpoint before it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_size: Option<i64>,
    /// The C2SP signed note, exactly as signed: keep it outside (`gotemp audit checkpoint
    /// --out`) and verify against it later (`gotemp audit verify --checkpoint`).
    note: String,
}

impl From<Checkpoint> for CheckpointView {
    fn from(c: Checkpoint) -> Self {
        Self {
            tenant: c.tenant.to_string(),
            size: c.size,
            hash: c.hash,
            time: c.time,
            prev_size: c.prev.map(|(size, _)| size),
            note: c.note,
        }
    }
}

/// The caller's tenant's latest checkpoint, or the one of `size` records.
#[utoipa::path(get, path = "/v1/audit/checkpoints", tag = "audit", params(CheckpointQuery),
    responses(
        (status = 200, description = "The checkpoint", body = CheckpointView),
        (status = 403, description = "Neither an auditor nor an administrator", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No checkpoint yet, or none of that size", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_checkpoint(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: CheckpointQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let size = int::<i64>(&mut v, "size", q.size);
    finish(v)?;
    let checkpoint = state.app.audit().checkpoint(&actor, size).await?;
    Ok(axum::Json(CheckpointView::from(checkpoint)).into_response())
}

/// A public key checkpoints are signed with.
#[derive(Serialize, ToSchema)]
pub(super) struct CheckpointKeyView {
    /// The name in its signature lines.
    name: String,
    /// Its key id (8 hex digits).
    key_id: String,
    /// The verifier key as signed-note tools read it: `<name>+<key id>+<base64 key>`.
    verifier: String,
}

/// The keys checkpoints are signed with.
#[derive(Serialize, ToSchema)]
pub(super) struct CheckpointKeys {
    /// The key signing now: pin it where the checkpoints are kept.
    current: Option<CheckpointKeyView>,
    /// Every key ever registered, oldest first (checkpoints signed before a rotation verify
    /// with the older ones).
    keys: Vec<CheckpointKeyView>,
}

/// The public keys checkpoints are signed with.
#[utoipa::path(get, path = "/v1/audit/checkpoints/key", tag = "audit",
    responses(
        (status = 200, description = "The keys", body = CheckpointKeys),
        (status = 403, description = "Neither an auditor nor an administrator", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn checkpoint_key(
    State(state): State<ApiState>,
    Caller(actor): Caller,
) -> ApiResult<Response> {
    let keys: Vec<CheckpointKeyView> = (state.app.audit().checkpoint_keys(&actor).await?)
        .into_iter()
        .map(|k| CheckpointKeyView {
            name: k.name().to_owned(),
            key_id: k.key_id(),
            verifier: k.to_string(),
        })
        .collect();
    let current = keys.last().map(|k| CheckpointKeyView {
        name: k.name.clone(),
        key_id: k.key_id.clone(),
        verifier: k.verifier.clone(),
    });
    Ok(axum::Json(CheckpointKeys { current, keys }).into_response())
}
