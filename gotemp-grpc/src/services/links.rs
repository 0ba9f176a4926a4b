//! The hierarchy RPCs customers and products share: check the caller, read the request; the
//! services then make one call and convert its answer.

use crate::auth::Authenticator;
use crate::convert::{instant, link, new_link};
use crate::pb::hierarchy as h;
use crate::status::IntoStatus as _;
use chrono::{DateTime, Utc};
use gotemp_core::Actor;
use gotemp_core::entities::{Link, NewLink};
use tonic::{Request, Response, Status};

/// A list of neighbours: the object asked about and the instant links must be valid on.
pub(super) async fn listed(
    auth: &Authenticator,
    request: Request<h::ListLinkedRequest>,
) -> Result<(Actor, String, Option<DateTime<Utc>>), Status> {
    let actor = auth.caller(&request).await?;
    let r = request.into_inner();
    let valid_on = instant("valid_on", r.valid_on).or_status()?;
    Ok((actor, r.id, valid_on))
}

/// A new link: who asks, the object it is about, and the link.
pub(super) async fn adding(
    auth: &Authenticator,
    request: Request<h::AddLinkRequest>,
) -> Result<(Actor, String, NewLink), Status> {
    let actor = auth.caller(&request).await?;
    let (id, input) = new_link(request.into_inner()).or_status()?;
    Ok((actor, id, input))
}

/// A link to remove: who asks, the object it is about, and the other end.
pub(super) async fn removing(
    auth: &Authenticator,
    request: Request<h::RemoveLinkRequest>,
) -> Result<(Actor, String, String), Status> {
    let actor = auth.caller(&request).await?;
    let r = request.into_inner();
    Ok((actor, r.id, r.other_id))
}

/// The link a write stored or removed, as the answer.
pub(super) fn answer(written: gotemp_core::Result<Link>) -> Result<Response<h::Link>, Status> {
    Ok(Response::new(link(written.or_status()?)))
}
