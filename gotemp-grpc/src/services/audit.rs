//! `gotemp.audit.v1.AuditService`.

use crate::auth::Authenticator;
use crate::convert::{instant, page, page_request, timestamp, to_value};
use crate::pb::audit as pb;
use crate::status::IntoStatus as _;
use gotemp_core::entities::{AuditFilter, AuditRecord};
use gotemp_core::event::ActionType;
use gotemp_core::services::AuditService;
use gotemp_core::{Error, FieldError, Result};
use tonic::{Request, Response, Status};

/// The audit service's queries over gRPC.
pub struct AuditGrpc {
    audit: AuditService,
    auth: Authenticator,
}

impl AuditGrpc {
    /// Serves `audit`, checking callers with `auth`.
    pub fn new(audit: AuditService, auth: Authenticator) -> Self {
        Self { audit, auth }
    }

    /// The tonic service, ready to be added to a server.
    pub fn into_server(self) -> pb::audit_service_server::AuditServiceServer<Self> {
        pb::audit_service_server::AuditServiceServer::new(self)
            .max_decoding_message_size(crate::limits::MAX_REQUEST_BYTES)
    }
}

fn record(r: AuditRecord) -> pb::AuditRecord {
    pb::AuditRecord {
        id: r.id,
        event_id: r.event_id.to_string(),
        action_time: timestamp(r.action_time),
        recorded_time: timestamp(r.recorded_time),
        topic: r.topic,
        service: r.service,
        action_func: r.action_func,
        action_type: r.action_type.as_str().to_owned(),
        object_name: r.object_name,
        object_id: r.object_id,
        performed_by: r.performed_by,
        object_detail: Some(to_value(r.object_detail)),
        trace_id: r.trace_id,
        seq: r.seq,
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

fn verification(v: gotemp_core::audit_chain::Verification) -> pb::VerifyAuditChainResponse {
    pb::VerifyAuditChainResponse {
        ok: v.ok,
        verified_from_seq: v.verified_from_seq,
        verified_to_seq: v.verified_to_seq,
        head_seq: v.head_seq,
        next_from_seq: v.next_from_seq,
        checkpoints_verified: v.checkpoints_verified,
        archived_to_seq: v.archived_to_seq,
        broken: v.broken.map(|b| pb::ChainBreak {
            seq: b.seq,
            reason: b.reason.as_str().to_owned(),
            detail: b.detail,
        }),
    }
}

fn filter(f: Option<pb::AuditFilter>) -> Result<AuditFilter> {
    let f = f.unwrap_or_default();
    let action_type = match f.action_type.as_deref() {
        None => None,
        Some(s) => Some(ActionType::parse(s).ok_or_else(|| {
            Error::invalid(FieldError::new(
                "action_type",
                "invalid_choice",
                gotemp_core::tr!("field.invalid_choice_action_type"),
            ))
        })?),
    };
    Ok(AuditFilter {
        object_name: f.object_name,
        object_id: f.object_id,
        performed_by: f.performed_by,
        service: f.service,
        action_type,
        from: instant("from", f.from)?,
        to: instant("to", f.to)?,
    })
}

fn dead_letter(d: gotemp_core::ports::DeadLetter) -> pb::DeadLetter {
    pb::DeadLetter {
        id: d.id,
        event_id: d.event_id.map(|id| id.to_string()),
        subject: d.subject,
        payload: d.payload,
        reason: d.reason,
        attempts: d.attempts,
        failed_at: timestamp(d.failed_at),
    }
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for AuditGrpc {
    async fn verify_audit_chain(
        &self,
        request: Request<pb::VerifyAuditChainRequest>,
    ) -> std::result::Result<Response<pb::VerifyAuditChainResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let q = request.into_inner();
        let from_seq = (q.from_seq != 0).then_some(q.from_seq);
        let limit = (q.limit != 0).then_some(q.limit);
        let report = self
            .audit
            .verify(&actor, from_seq, limit)
            .await
            .or_status()?;
        Ok(Response::new(verification(report)))
    }

    async fn get_checkpoint(
        &self,
        request: Request<pb::GetCheckpointRequest>,
    ) -> std::result::Result<Response<pb::Checkpoint>, Status> {
        let actor = self.auth.caller(&request).await?;
        let size = request.into_inner().size;
        let size = (size != 0).then_some(size);
        let c = self.audit.checkpoint(&actor, size).await.or_status()?;
        Ok(Response::new(pb::Checkpoint {
            tenant: c.tenant.to_string(),
            size: c.size,
            hash: c.hash,
            time: timestamp(c.time),
            prev_size: c.prev.map(|(size, _)| size),
            note: c.note,
        }))
    }

    async fn get_checkpoint_keys(
        &self,
        request: Request<pb::GetCheckpointKeysRequest>,
    ) -> std::result::Result<Response<pb::GetCheckpointKeysResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let keys = self.audit.checkpoint_keys(&actor).await.or_status()?;
        Ok(Response::new(pb::GetCheckpointKeysResponse {
            keys: (keys.into_iter())
                .map(|k| pb::CheckpointKey {
                    name: k.name().to_owned(),
                    key_id: k.key_id(),
                    verifier: k.to_string(),
                })
                .collect(),
        }))
    }

    async fn list_dead_letters(
        &self,
        request: Request<pb::ListDeadLettersRequest>,
    ) -> std::result::Result<Response<pb::ListDeadLettersResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let limit = match request.into_inner().limit {
            0 => 100,
            n => n,
        };
        let found = self
            .audit
            .list_dead_letters(&actor, limit)
            .await
            .or_status()?;
        let total = (self
            .audit
            .undelivered_count(Some(actor.tenant.clone()))
            .await)
            .or_status()?;
        Ok(Response::new(pb::ListDeadLettersResponse {
            dead_letters: found.into_iter().map(dead_letter).collect(),
            total,
        }))
    }

    async fn replay_dead_letter(
        &self,
        request: Request<pb::ReplayDeadLetterRequest>,
    ) -> std::result::Result<Response<pb::ReplayDeadLetterResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let id = request.into_inner().id;
        let replayed = self
            .audit
            .replay_dead_letter(&actor, id)
            .await
            .or_status()?;
        Ok(Response::new(pb::ReplayDeadLetterResponse {
            event_id: replayed.event_id.to_string(),
            stored: replayed.stored,
        }))
    }

    async fn get_audit_record(
        &self,
        request: Request<pb::GetAuditRecordRequest>,
    ) -> std::result::Result<Response<pb::AuditRecord>, Status> {
        let actor = self.auth.caller(&request).await?;
        let id = request.into_inner().id;
        let found = self.audit.get(&actor, id).await.or_status()?;
        Ok(Response::new(record(found)))
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> std::result::Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let filter = filter(r.filter).or_status()?;
        let found = self
            .audit
            .list(&actor, &filter, &page_request(r.page_size, r.page_token))
            .await
            .or_status()?;
        let (records, next_page_token) = page(found, record);
        Ok(Response::new(pb::ListAuditRecordsResponse {
            records,
            next_page_token,
        }))
    }

    async fn count_audit_records(
        &self,
        request: Request<pb::CountAuditRecordsRequest>,
    ) -> std::result::Result<Response<pb::CountAuditRecordsResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let filter = filter(r.filter).or_status()?;
        let width = r
            .width
            .and_then(|w| chrono::Duration::try_seconds(w.seconds))
            .ok_or_else(|| {
                Error::invalid(FieldError::new(
                    "width",
                    "required",
                    gotemp_core::tr!("field.width_required"),
                ))
            })
            .or_status()?;
        let counted = (self.audit.count_by_bucket(&actor, &filter, width).await).or_status()?;
        let buckets = (counted.counts.into_iter())
            .map(|b| pb::BucketCount {
                bucket_start: timestamp(b.bucket_start),
                count: b.count,
            })
            .collect();
        Ok(Response::new(pb::CountAuditRecordsResponse {
            buckets,
            from: timestamp(counted.from),
            to: timestamp(counted.to),
        }))
    }
}
