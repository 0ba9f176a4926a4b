//! Customers and products over HTTP, written once: the handlers' bodies are generic over the
//! kind of master data, and [`master_data_routes!`] gives each kind its routes with their
//! OpenAPI descriptions. A kind's own file holds only its search parameters and its wording.

use super::*;
use gotemp_core::Actor;
use gotemp_core::page::PageRequest;
use gotemp_core::services::MasterDataService;

/// The query string of a search of one kind of master data.
pub(super) trait Search: serde::de::DeserializeOwned {
    /// The kind searched.
    type Entity: MasterEntity;
    /// The filters and the page asked for; bad values are recorded in `v`.
    fn read(self, v: &mut Violations) -> (<Self::Entity as MasterEntity>::Filter, PageRequest);
}

/// `GET /v1/<kind>`: one page of the matches.
pub(super) async fn list<Q, P>(
    service: &MasterDataService<Q::Entity>,
    actor: &Actor,
    raw: Option<String>,
) -> ApiResult<Response>
where
    Q: Search,
    P: From<Page<Q::Entity>> + Serialize,
{
    let q: Q = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let (filter, page) = q.read(&mut v);
    finish(v)?;
    let found = service.list(actor, &filter, &page).await?;
    Ok(axum::Json(P::from(found)).into_response())
}

/// `POST /v1/<kind>`: 201 with the new object's `Location` (under `collection`) and `ETag`.
pub(super) async fn create<E: MasterEntity>(
    service: &MasterDataService<E>,
    actor: &Actor,
    input: E::New,
    collection: &str,
) -> ApiResult<Response> {
    let object = service.create(actor, input).await?;
    let location = format!("{collection}/{}", object.id());
    Ok(created(location, object.version(), object))
}

/// `GET /v1/<kind>/{id}`.
pub(super) async fn get<E: MasterEntity>(
    service: &MasterDataService<E>,
    actor: &Actor,
    id: &str,
) -> ApiResult<Response> {
    let object = service.get(actor, id).await?;
    Ok(current(object.version(), object))
}

/// `PUT /v1/<kind>/{id}`, at the version `If-Match` names (when it names one).
pub(super) async fn update<E: MasterEntity>(
    service: &MasterDataService<E>,
    actor: &Actor,
    id: &str,
    if_match: IfMatch,
    changes: E::Changes,
) -> ApiResult<Response> {
    let object = (service.update(actor, id, changes, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(current(object.version(), object))
}

/// `DELETE /v1/<kind>/{id}`, at the version `If-Match` names (when it names one).
pub(super) async fn delete<E: MasterEntity>(
    service: &MasterDataService<E>,
    actor: &Actor,
    id: &str,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    (service.delete(actor, id, if_match.0).await).map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The five routes of one kind of master data, each with its OpenAPI description. The
/// literals are the kind's own wording; everything else is the same for every kind.
macro_rules! master_data_routes {
    (
        service: $service:ident,
        entity: $entity:ty,
        new: $new:ty,
        changes: $changes:ty,
        search: $search:ty,
        page: $page:ty,
        collection: $collection:literal,
        item: $item:literal,
        tag: $tag:literal,
        key: $key:literal,
        missing: $missing:literal,
        list: $list:ident, $list_doc:literal, $list_ok:literal,
        create: $create:ident, $create_doc:literal,
        get: $get:ident, $get_doc:literal, $get_ok:literal,
        update: $update:ident, $update_doc:literal, $update_conflict:literal,
        delete: $delete:ident, $delete_doc:literal, $delete_conflict:literal $(,)?
    ) => {
        #[doc = $list_doc]
        #[utoipa::path(get, path = $collection, tag = $tag, params($search),
            responses((status = 200, description = $list_ok, body = $page)))]
        pub(super) async fn $list(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            RawQuery(raw): RawQuery,
        ) -> ApiResult<Response> {
            master::list::<$search, $page>(state.app.$service(), &actor, raw).await
        }

        #[doc = $create_doc]
        #[utoipa::path(post, path = $collection, tag = $tag, request_body = $new,
            responses(
                (status = 201, description = "Created", body = $entity, headers(("Location" = String), ("ETag" = String))),
                (status = 409, description = "The key is taken", body = ProblemDetails, content_type = "application/problem+json"),
            ))]
        pub(super) async fn $create(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            JsonBody(input): JsonBody<$new>,
        ) -> ApiResult<Response> {
            master::create(state.app.$service(), &actor, input, $collection).await
        }

        #[doc = $get_doc]
        #[utoipa::path(get, path = $item, tag = $tag, params(("id" = String, Path, description = $key)),
            responses(
                (status = 200, description = $get_ok, body = $entity, headers(("ETag" = String))),
                (status = 404, description = $missing, body = ProblemDetails, content_type = "application/problem+json"),
            ))]
        pub(super) async fn $get(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            Path(id): Path<String>,
        ) -> ApiResult<Response> {
            master::get(state.app.$service(), &actor, &id).await
        }

        #[doc = $update_doc]
        #[utoipa::path(put, path = $item, tag = $tag, request_body = $changes,
            params(("id" = String, Path, description = $key), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
            responses(
                (status = 200, description = "Changed", body = $entity, headers(("ETag" = String))),
                (status = 404, description = $missing, body = ProblemDetails, content_type = "application/problem+json"),
                (status = 409, description = $update_conflict, body = ProblemDetails, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
            ))]
        pub(super) async fn $update(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            Path(id): Path<String>,
            if_match: IfMatch,
            JsonBody(changes): JsonBody<$changes>,
        ) -> ApiResult<Response> {
            master::update(state.app.$service(), &actor, &id, if_match, changes).await
        }

        #[doc = $delete_doc]
        #[utoipa::path(delete, path = $item, tag = $tag,
            params(("id" = String, Path, description = $key), ("If-Match" = Option<String>, Header, description = "The ETag the delete is based on")),
            responses(
                (status = 204, description = "Deleted"),
                (status = 404, description = $missing, body = ProblemDetails, content_type = "application/problem+json"),
                (status = 409, description = $delete_conflict, body = ProblemDetails, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
            ))]
        pub(super) async fn $delete(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            Path(id): Path<String>,
            if_match: IfMatch,
        ) -> ApiResult<StatusCode> {
            master::delete(state.app.$service(), &actor, &id, if_match).await
        }
    };
}
pub(super) use master_data_routes;
