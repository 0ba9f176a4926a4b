//! Audit events that can't be forged: anyone who can publish to `gotemp.audit.>` could
//! otherwise write audit history (and evict caches). With a signing key (`GOTEMP_EVENT_SIGNING_KEY`,
//! shared by every gotemp process) the relay signs each message — HMAC-SHA256 over the event id
//! and the payload — in the `Gotemp-Signature` header; the audit consumer parks, with the
//! reason, any message unsigned or signed with another key, and the cache follower ignores it.

use async_nats::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use secrecy::{ExposeSecret as _, SecretSlice};
use sha2::Sha256;
use std::sync::Arc;

/// The message header carrying the signature: `v1=<base64 HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Gotemp-Signature";

/// Shortest key accepted: as many bytes as the hash gives.
pub const MIN_KEY_BYTES: usize = 32;

/// Signs and checks audit messages with one shared key. Cheap to clone.
#[derive(Clone)]
pub struct EventSigner {
    key: Arc<SecretSlice<u8>>,
}

impl std::fmt::Debug for EventSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSigner(..)")
    }
}

/// Why a message is not taken as one of gotemp's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Forged {
    /// No `Gotemp-Signature` header (or no `Nats-Msg-Id` to sign over).
    #[error("unsigned message: no {SIGNATURE_HEADER} header while event signing is on")]
    Unsigned,
    /// A signature made with another key, or over other bytes.
    #[error("bad signature: not signed with this deployment's event signing key")]
    BadSignature,
    /// The subject or the `Gotemp-Tenant` header names another tenant than the event (signed or
    /// not, it would file one tenant's change where another's subscribers and permissions are).
    #[error(
        "tenant mismatch: the subject {subject} or the {TENANT_HEADER} header names another tenant than the event's ({tenant})"
    )]
    TenantMismatch {
        /// The subject it arrived on.
        subject: String,
        /// The tenant the event names.
        tenant: String,
    },
}

/// The message header naming the event's tenant, so a subscriber can route or refuse a message
/// without reading its payload. The payload names it too, under the signature; the audit
/// consumer refuses a message whose header, subject and payload disagree.
pub const TENANT_HEADER: &str = "Gotemp-Tenant";

/// Whether `event`, which arrived on `subject` with `headers`, is the tenant they name.
pub fn check_tenant(
    subject: &str,
    headers: Option<&HeaderMap>,
    event: &gotemp_core::event::AuditEvent,
) -> Result<(), Forged> {
    let header = headers
        .and_then(|h| h.get(TENANT_HEADER))
        .map(|v| v.as_str());
    let by_subject = gotemp_core::event::AuditEvent::tenant_of_topic(subject);
    let agrees = by_subject.as_ref() == Some(&event.tenant)
        && header.is_none_or(|h| h == event.tenant.as_str());
    match agrees {
        true => Ok(()),
        false => Err(Forged::TenantMismatch {
            subject: subject.to_owned(),
            tenant: event.tenant.to_string(),
        }),
    }
}

impl EventSigner {
    /// A signer with `key` (at least [`MIN_KEY_BYTES`]; `None` when shorter).
    pub fn new(key: &[u8]) -> Option<Self> {
        (key.len() >= MIN_KEY_BYTES).then(|| Self {
            key: Arc::new(SecretSlice::from(key.to_vec())),
        })
    }

    fn mac(&self, event_id: &str, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret())
            .expect("HMAC takes a key of any length");
        mac.update(event_id.as_bytes());
        // A separator no event id contains: ("ab", "c…") and ("a", "bc…") sign differently.
        mac.update(b"\n");
        mac.update(payload);
        mac
    }

    /// The header value for a message of `event_id` carrying `payload`.
    pub fn sign(&self, event_id: &str, payload: &[u8]) -> String {
        let tag = self.mac(event_id, payload).finalize().into_bytes();
        format!(
            "v1={}",
            base64::engine::general_purpose::STANDARD.encode(tag)
        )
    }

    /// Whether a message's headers carry a good signature of its id and payload (compared in
    /// constant time).
    pub fn verify(&self, headers: Option<&HeaderMap>, payload: &[u8]) -> Result<(), Forged> {
        let header = |name: &str| headers.and_then(|h| h.get(name)).map(|v| v.as_str());
        let (Some(id), Some(signature)) = (
            header(async_nats::header::NATS_MESSAGE_ID.as_ref()),
            header(SIGNATURE_HEADER),
        ) else {
            return Err(Forged::Unsigned);
        };
        let tag = signature
            .strip_prefix("v1=")
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .ok_or(Forged::BadSignature)?;
        self.mac(id, payload)
            .verify_slice(&tag)
            .map_err(|_| Forged::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(id: &str, signature: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(async_nats::header::NATS_MESSAGE_ID, id);
        if let Some(s) = signature {
            h.insert(SIGNATURE_HEADER, s);
        }
        h
    }

    #[test]
    fn a_signature_holds_only_for_its_key_id_and_payload() {
        let signer = EventSigner::new(&[7u8; 32]).unwrap();
        let other = EventSigner::new(&[8u8; 32]).unwrap();
        let signed = signer.sign("id-1", b"{\"a\":1}");
        assert_eq!(
            signer.verify(Some(&headers("id-1", Some(&signed))), b"{\"a\":1}"),
            Ok(())
        );
        for (h, payload) in [
            (headers("id-1", Some(&signed)), &b"{\"a\":2}"[..]),
            (headers("id-2", Some(&signed)), &b"{\"a\":1}"[..]),
            (
                headers("id-1", Some(&other.sign("id-1", b"{\"a\":1}"))),
                &b"{\"a\":1}"[..],
            ),
            (headers("id-1", Some("v1=not base64!")), &b"{\"a\":1}"[..]),
            (headers("id-1", Some("v2=AAAA")), &b"{\"a\":1}"[..]),
        ] {
            assert_eq!(signer.verify(Some(&h), payload), Err(Forged::BadSignature));
        }
        assert_eq!(
            signer.verify(Some(&headers("id-1", None)), b"x"),
            Err(Forged::Unsigned)
        );
        assert_eq!(signer.verify(None, b"x"), Err(Forged::Unsigned));
        assert!(
            EventSigner::new(&[1u8; 31]).is_none(),
            "a short key is refused"
        );
        assert_eq!(
            format!("{signer:?}"),
            "EventSigner(..)",
            "the key never prints"
        );
    }
}
