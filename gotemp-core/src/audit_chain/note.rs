//! Checkpoints as C2SP signed notes (<https://c2sp.org/signed-note>,
//! <https://c2sp.org/tlog-checkpoint>): text any transparency-log tool can read, signed with
//! Ed25519. The body names the chain (`gotemp-audit/<tenant>`), its size, its head hash in
//! base64, and two extension lines: when it was made and which checkpoint came before it.
//!
//! ```text
//! gotemp-audit/ducks
//! 2000
//! 3q2+7w0pPq1u4Jz6yXl3bGmYxX0kq5n7w9vUeZk1Q1A=
//! time 2026-12-07T21:00:00.000000Z
//! prev 1000 Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=
//!
//! — gotemp-audit 5l2bQm8y…
//! ```

use super::{hex, unhex32};
use crate::values::TenantId;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

/// The name checkpoints are signed under, and the first part of every chain's origin line.
pub const KEY_NAME: &str = "gotemp-audit";

/// The signed-note algorithm byte of Ed25519.
const ALG_ED25519: u8 = 0x01;

/// Why a note or a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Not a checkpoint of this form; says which part.
    #[error("not a gotemp checkpoint: {0}")]
    Malformed(String),
    /// No signature by the key it was checked against.
    #[error("the checkpoint is not signed by the key {0}")]
    NotSignedBy(String),
    /// A signature by that key that does not verify: the text was changed after signing.
    #[error("the checkpoint's signature does not verify: its text was changed after signing")]
    BadSignature,
    /// A key that cannot be one.
    #[error("{0}")]
    BadKey(String),
}

/// The private key checkpoints are signed with. Never printed.
#[derive(Clone)]
pub struct CheckpointKey {
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey({})", self.verifier())
    }
}

impl CheckpointKey {
    /// The key whose 32-byte Ed25519 seed `text` holds in base64 (`head -c 32 /dev/urandom |
    /// base64`). A seed of one repeated byte is refused: it is a placeholder, not a key.
    pub fn from_seed_text(text: &str) -> Result<Self, NoteError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| NoteError::BadKey(format!("is not base64: {e}")))?;
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            NoteError::BadKey(format!(
                "holds {} bytes, not an Ed25519 seed's 32",
                bytes.len()
            ))
        })?;
        if seed.iter().all(|b| *b == seed[0]) {
            return Err(NoteError::BadKey(
                "is one byte repeated, not a random key".into(),
            ));
        }
        Ok(Self {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// A new random key (the embedded default keeps one in its data directory).
    pub fn generate() -> Self {
        let mut entropy = Sha256::new();
        for _ in 0..3 {
            entropy.update(uuid::Uuid::new_v4().as_bytes());
        }
        Self {
            key: SigningKey::from_bytes(&entropy.finalize().into()),
        }
    }

    /// The seed in the form [`CheckpointKey::from_seed_text`] reads, to keep a generated key.
    pub fn seed_text(&self) -> String {
        STANDARD.encode(self.key.to_bytes())
    }

    /// The public half, for whoever checks checkpoints.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(KEY_NAME, self.key.verifying_key())
    }

    /// Signs the note body `text` (lines, each ending in a newline): the body, a blank line and
    /// this key's signature line.
    pub fn sign(&self, text: &str) -> String {
        let verifier = self.verifier();
        let signature = self.key.sign(text.as_bytes());
        let mut blob = verifier.id.to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!(
            "{text}\n\u{2014} {} {}\n",
            verifier.name,
            STANDARD.encode(blob)
        )
    }

    /// The checkpoint of `tenant`'s chain at `size` records whose last hashes to `hash` (hex),
    /// made at `time`, naming `prev` — the one before it — if any.
    pub fn checkpoint(
        &self,
        tenant: &TenantId,
        size: i64,
        hash: &str,
        time: DateTime<Utc>,
        prev: Option<&Checkpoint>,
    ) -> Checkpoint {
        // As written in the note, and as the stores keep times.
        let time = crate::values::truncate_to_micros(time);
        let mut body = format!(
            "{KEY_NAME}/{tenant}\n{size}\n{}\ntime {}\n",
            STANDARD.encode(unhex32(hash).unwrap_or_default()),
            time.to_rfc3339_opts(SecondsFormat::Micros, true),
        );
        let prev = prev.map(|p| (p.size, p.note_hash()));
        if let Some((size, note_hash)) = &prev {
            let note_hash = unhex32(note_hash).unwrap_or_default();
            body.push_str(&format!("prev {size} {}\n", STANDARD.encode(note_hash)));
        }
        Checkpoint {
            tenant: tenant.clone(),
            size,
            hash: hash.to_owned(),
            time,
            prev,
            note: self.sign(&body),
        }
    }
}

/// The public key checkpoints are checked with, as signed-note tools write it:
/// `<name>+<key id, 8 hex digits>+<base64 of 0x01 and the 32-byte Ed25519 key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl Verifier {
    fn new(name: &str, key: VerifyingKey) -> Self {
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update(b"\n");
        h.update([ALG_ED25519]);
        h.update(key.as_bytes());
        let digest = h.finalize();
        Self {
            name: name.to_owned(),
            id: [digest[0], digest[1], digest[2], digest[3]],
            key,
        }
    }

    /// Reads a key in the form [`Verifier`]'s `Display` writes.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::BadKey(format!("not a verifier key ({why})"));
        // The key's base64 may hold '+' itself: the name and the id end at the first two.
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<id>+<key>"));
        };
        let key = STANDARD
            .decode(key)
            .map_err(|_| bad("the key is not base64"))?;
        let [ALG_ED25519, key @ ..] = key.as_slice() else {
            return Err(bad("not an Ed25519 key"));
        };
        let key: [u8; 32] = key.try_into().map_err(|_| bad("not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("not a curve point"))?;
        let verifier = Self::new(name, key);
        match hex(&verifier.id) == id {
            true => Ok(verifier),
            false => Err(bad("its id does not match its name and key")),
        }
    }

    /// The name it signs under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its key id, 8 hex digits.
    pub fn key_id(&self) -> String {
        hex(&self.id)
    }

    /// The body of `note` when this key's signature on it verifies.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let (body, signatures) = split_note(note)?;
        let mut found = false;
        for line in signatures.lines() {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(NoteError::Malformed(
                    "a signature line must start with '— '".into(),
                ));
            };
            let Some((name, blob)) = rest.split_once(' ') else {
                return Err(NoteError::Malformed("a signature line names no key".into()));
            };
            let blob = STANDARD.decode(blob).unwrap_or_default();
            if name != self.name || blob.len() != 68 || blob[..4] != self.id {
                continue;
            }
            found = true;
            let signature = ed25519_dalek::Signature::from_slice(&blob[4..])
                .map_err(|_| NoteError::BadSignature)?;
            if self.key.verify_strict(body.as_bytes(), &signature).is_ok() {
                return Ok(body);
            }
        }
        Err(match found {
            true => NoteError::BadSignature,
            false => NoteError::NotSignedBy(self.to_string()),
        })
    }
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut key = vec![ALG_ED25519];
        key.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex(&self.id),
            STANDARD.encode(key)
        )
    }
}

/// A note's body (with its last newline) and its signature lines.
fn split_note(note: &str) -> Result<(&str, &str), NoteError> {
    match note.split_once("\n\n") {
        Some((body, signatures)) if !body.is_empty() && signatures.ends_with('\n') => {
            Ok((&note[..body.len() + 1], signatures))
        }
        _ => Err(NoteError::Malformed(
            "expected a body, a blank line and signature lines".into(),
        )),
    }
}

/// A signed head of one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Whose chain.
    pub tenant: TenantId,
    /// How many records it held.
    pub size: i64,
    /// The hash of its record `size` (hex).
    pub hash: String,
    /// When it was signed.
    pub time: DateTime<Utc>,
    /// The checkpoint before it: its size and the SHA-256 (hex) of its note.
    pub prev: Option<(i64, String)>,
    /// The signed note, exactly as signed.
    pub note: String,
}

impl Checkpoint {
    /// Reads `note` and checks its signature with `verifier`.
    pub fn open(note: &str, verifier: &Verifier) -> Result<Self, NoteError> {
        let body = verifier.open(note)?;
        Self::from_body(body, note)
    }

    /// Reads `note` without checking its signature: to say what it claims before saying the
    /// signature is wrong.
    pub fn read(note: &str) -> Result<Self, NoteError> {
        let (body, _) = split_note(note)?;
        Self::from_body(body, note)
    }

    fn from_body(body: &str, note: &str) -> Result<Self, NoteError> {
        let bad = |what: &str| NoteError::Malformed(what.into());
        let mut lines = body.lines();
        let origin = lines.next().ok_or_else(|| bad("no origin line"))?;
        let tenant = origin
            .strip_prefix(KEY_NAME)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|key| TenantId::parse("tenant", key).ok())
            .ok_or_else(|| bad("the origin is not gotemp-audit/<tenant>"))?;
        let size = (lines.next())
            .and_then(|l| l.parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad("the second line is not a size"))?;
        let hash = (lines.next())
            .and_then(|l| STANDARD.decode(l).ok())
            .filter(|b| b.len() == 32)
            .map(|b| hex(&b))
            .ok_or_else(|| bad("the third line is not a base64 SHA-256 hash"))?;
        let (mut time, mut prev) = (None, None);
        for line in lines {
            if let Some(t) = line.strip_prefix("time ") {
                time = DateTime::parse_from_rfc3339(t).ok().map(|t| t.to_utc());
            } else if let Some(p) = line.strip_prefix("prev ") {
                let (size, hash) = p.split_once(' ').ok_or_else(|| bad("a bad prev line"))?;
                let size = size.parse().map_err(|_| bad("a bad prev size"))?;
                let hash = STANDARD.decode(hash).map_err(|_| bad("a bad prev hash"))?;
                prev = Some((size, hex(&hash)));
            }
        }
        Ok(Self {
            tenant,
            size,
            hash,
            time: time.ok_or_else(|| bad("no time line"))?,
            prev,
            note: note.to_owned(),
        })
    }

    /// The SHA-256 (hex) of the note, by which the checkpoint after it names it.
    pub fn note_hash(&self) -> String {
        hex(&Sha256::digest(self.note.as_bytes()))
    }
}
