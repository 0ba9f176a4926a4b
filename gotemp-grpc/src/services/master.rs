//! Customers and products over gRPC, written once: [`MasterGrpc`] authenticates, converts and
//! calls the master-data service for any kind; a kind states its messages
//! ([`MasterMessages`]), and `master_grpc!` binds the generated tonic trait of its service to
//! the generic methods.

use super::links;
use crate::auth::Authenticator;
use crate::convert::page;
use crate::pb::hierarchy as h;
use crate::status::IntoStatus as _;
use gotemp_core::Result;
use gotemp_core::entities::{MasterEntity, Product, Related};
use gotemp_core::page::PageRequest;
use gotemp_core::services::MasterDataService;
use tonic::{Request, Response, Status};

/// How one kind of master data travels over gRPC: its messages and their conversions.
pub trait MasterMessages: MasterEntity {
    /// The object.
    type Message: Send + 'static;
    /// Objects with the links that lead to them.
    type Linked: Send + 'static;
    /// `Get…Request`.
    type GetRequest: Send + 'static;
    /// `List…Request`.
    type ListRequest: Send + 'static;
    /// `List…Response`.
    type ListResponse: Send + 'static;
    /// `Create…Request`.
    type CreateRequest: Send + 'static;
    /// `Update…Request`.
    type UpdateRequest: Send + 'static;
    /// `Delete…Request`.
    type DeleteRequest: Send + 'static;

    /// The object as a message.
    fn message(self) -> Self::Message;
    /// Neighbours in a hierarchy as a message.
    fn linked(items: Vec<Related<Self>>) -> Self::Linked;
    /// The id a get names.
    fn get_id(request: Self::GetRequest) -> String;
    /// The filters and page a list asks for.
    fn search(request: Self::ListRequest) -> Result<(Self::Filter, PageRequest)>;
    /// A page of objects as the answer to a list.
    fn listed(items: Vec<Self::Message>, next_page_token: String) -> Self::ListResponse;
    /// The input of a create.
    fn new_input(request: Self::CreateRequest) -> Result<Self::New>;
    /// The id, changes and expected version of an update.
    fn changes(request: Self::UpdateRequest) -> Result<(String, Self::Changes, Option<i64>)>;
    /// The id and expected version of a delete.
    fn deleted(request: Self::DeleteRequest) -> (String, Option<i64>);
}

/// The service of one kind of master data over gRPC (`CustomerGrpc`, `ProductGrpc`).
pub struct MasterGrpc<E: MasterEntity> {
    service: MasterDataService<E>,
    auth: Authenticator,
}

/// Answers an RPC with a converted object, or with the status of the error.
type Answer<T> = std::result::Result<Response<T>, Status>;

impl<E: MasterMessages> MasterGrpc<E> {
    /// Serves `service`, checking callers with `auth`.
    pub fn new(service: MasterDataService<E>, auth: Authenticator) -> Self {
        Self { service, auth }
    }

    async fn get(&self, request: Request<E::GetRequest>) -> Answer<E::Message> {
        let actor = self.auth.caller(&request).await?;
        let id = E::get_id(request.into_inner());
        let found = self.service.get(&actor, &id).await.or_status()?;
        Ok(Response::new(found.message()))
    }

    async fn list(&self, request: Request<E::ListRequest>) -> Answer<E::ListResponse> {
        let actor = self.auth.caller(&request).await?;
        let (filter, page_request) = E::search(request.into_inner()).or_status()?;
        let found = self
            .service
            .list(&actor, &filter, &page_request)
            .await
            .or_status()?;
        let (items, next_page_token) = page(found, E::message);
        Ok(Response::new(E::listed(items, next_page_token)))
    }

    async fn create(&self, request: Request<E::CreateRequest>) -> Answer<E::Message> {
        let actor = self.auth.caller(&request).await?;
        let input = E::new_input(request.into_inner()).or_status()?;
        let created = self.service.create(&actor, input).await.or_status()?;
        Ok(Response::new(created.message()))
    }

    async fn update(&self, request: Request<E::UpdateRequest>) -> Answer<E::Message> {
        let actor = self.auth.caller(&request).await?;
        let (id, changes, version) = E::changes(request.into_inner()).or_status()?;
        let updated = (self.service.update(&actor, &id, changes, version).await).or_status()?;
        Ok(Response::new(updated.message()))
    }

    async fn delete(&self, request: Request<E::DeleteRequest>) -> Answer<E::Message> {
        let actor = self.auth.caller(&request).await?;
        let (id, version) = E::deleted(request.into_inner());
        let deleted = self
            .service
            .delete(&actor, &id, version)
            .await
            .or_status()?;
        Ok(Response::new(deleted.message()))
    }

    async fn children(&self, request: Request<h::ListLinkedRequest>) -> Answer<E::Linked> {
        let (actor, id, valid_on) = links::listed(&self.auth, request).await?;
        let found = (self.service.children(&actor, &id, valid_on).await).or_status()?;
        Ok(Response::new(E::linked(found)))
    }

    async fn parents(&self, request: Request<h::ListLinkedRequest>) -> Answer<E::Linked> {
        let (actor, id, valid_on) = links::listed(&self.auth, request).await?;
        let found = (self.service.parents(&actor, &id, valid_on).await).or_status()?;
        Ok(Response::new(E::linked(found)))
    }

    async fn add_child(&self, request: Request<h::AddLinkRequest>) -> Answer<h::Link> {
        let (actor, id, input) = links::adding(&self.auth, request).await?;
        links::answer(self.service.add_child(&actor, &id, input).await)
    }

    async fn remove_child(&self, request: Request<h::RemoveLinkRequest>) -> Answer<h::Link> {
        let (actor, id, other) = links::removing(&self.auth, request).await?;
        links::answer(self.service.remove_child(&actor, &id, &other).await)
    }
}

/// Products' own RPCs: components.
impl MasterGrpc<Product> {
    async fn components(
        &self,
        request: Request<h::ListLinkedRequest>,
    ) -> Answer<<Product as MasterMessages>::Linked> {
        let (actor, id, valid_on) = links::listed(&self.auth, request).await?;
        let found = (self.service.components(&actor, &id, valid_on).await).or_status()?;
        Ok(Response::new(Product::linked(found)))
    }

    async fn add_component(&self, request: Request<h::AddLinkRequest>) -> Answer<h::Link> {
        let (actor, id, input) = links::adding(&self.auth, request).await?;
        links::answer(self.service.add_component(&actor, &id, input).await)
    }

    async fn remove_component(&self, request: Request<h::RemoveLinkRequest>) -> Answer<h::Link> {
        let (actor, id, other) = links::removing(&self.auth, request).await?;
        links::answer(self.service.remove_component(&actor, &id, &other).await)
    }
}

/// The messages of one kind of master data and its generated tonic service, bound to
/// [`MasterGrpc`]: the conversions copy the fields every kind has, plus the kind's own fields
/// (`own`, named the same in the entity, its inputs, its filter and its messages); `$extra` are
/// the kind's own RPCs (products' components), written out by the caller.
macro_rules! master_grpc {
    (
        entity: $entity:ident ($new:ident, $changes:ident, $filter:ident),
        own: [$($own:ident),*],
        proto: $pb:ident,
        message: $message:ident,
        linked: $linked:ident of $linked_item:ident . $linked_field:ident,
        service: $server_mod:ident :: { $service:ident, $server:ident },
        get: $get:ident ($get_request:ident),
        list: $list:ident ($list_request:ident -> $list_response:ident . $items:ident),
        create: $create:ident ($create_request:ident),
        update: $update:ident ($update_request:ident),
        delete: $delete:ident ($delete_request:ident) $(,)?
        { $($extra:tt)* }
    ) => {
        use super::{Answer, MasterGrpc, MasterMessages};
        use crate::convert::{from_struct, instant, link, page_request, timestamp, to_struct};
        use crate::pb::hierarchy as h;
        use crate::pb::$pb as pb;
        use gotemp_core::Result;
        use gotemp_core::entities::{$changes, $entity, $filter, $new, Related};
        use gotemp_core::page::PageRequest;
        use pb::$server_mod::{$service, $server};
        use tonic::Request;

        impl MasterMessages for $entity {
            type Message = pb::$message;
            type Linked = pb::$linked;
            type GetRequest = pb::$get_request;
            type ListRequest = pb::$list_request;
            type ListResponse = pb::$list_response;
            type CreateRequest = pb::$create_request;
            type UpdateRequest = pb::$update_request;
            type DeleteRequest = pb::$delete_request;

            fn message(self) -> pb::$message {
                pb::$message {
                    id: self.id,
                    name: self.name,
                    valid_from: timestamp(self.valid_from),
                    valid_thru: timestamp(self.valid_thru),
                    extra_fields: Some(to_struct(self.extra_fields)),
                    created_at: timestamp(self.created_at),
                    updated_at: timestamp(self.updated_at),
                    modified_by: self.modified_by,
                    version: self.version,
                    $($own: self.$own,)*
                }
            }

            fn linked(items: Vec<Related<$entity>>) -> pb::$linked {
                let items = items.into_iter().map(|r| pb::$linked_item {
                    link: Some(link(r.link)),
                    $linked_field: Some(r.object.message()),
                });
                pb::$linked {
                    items: items.collect(),
                }
            }

            fn get_id(request: pb::$get_request) -> String {
                request.id
            }

            fn search(r: pb::$list_request) -> Result<($filter, PageRequest)> {
                let filter = $filter {
                    id: r.id,
                    name: r.name,
                    valid_on: instant("valid_on", r.valid_on)?,
                    $($own: r.$own,)*
                };
                Ok((filter, page_request(r.page_size, r.page_token)))
            }

            fn listed(items: Vec<pb::$message>, next_page_token: String) -> pb::$list_response {
                pb::$list_response {
                    $items: items,
                    next_page_token,
                }
            }

            fn new_input(r: pb::$create_request) -> Result<$new> {
                Ok($new {
                    valid_from: instant("valid_from", r.valid_from)?,
                    valid_thru: instant("valid_thru", r.valid_thru)?,
                    id: r.id,
                    name: r.name,
                    extra_fields: r.extra_fields.map(from_struct),
                    $($own: r.$own,)*
                })
            }

            fn changes(r: pb::$update_request) -> Result<(String, $changes, Option<i64>)> {
                let changes = $changes {
                    valid_from: instant("valid_from", r.valid_from)?,
                    valid_thru: instant("valid_thru", r.valid_thru)?,
                    name: r.name,
                    extra_fields: r.extra_fields.map(from_struct),
                    $($own: r.$own,)*
                };
                Ok((r.id, changes, r.version))
            }

            fn deleted(r: pb::$delete_request) -> (String, Option<i64>) {
                (r.id, r.version)
            }
        }

        impl MasterGrpc<$entity> {
            /// The tonic service, ready to be added to a server.
            pub fn into_server(self) -> $server<Self> {
                $server::new(self).max_decoding_message_size(crate::limits::MAX_REQUEST_BYTES)
            }
        }

        #[tonic::async_trait]
        impl $service for MasterGrpc<$entity> {
            async fn $get(&self, request: Request<pb::$get_request>) -> Answer<pb::$message> {
                self.get(request).await
            }

            async fn $list(
                &self,
                request: Request<pb::$list_request>,
            ) -> Answer<pb::$list_response> {
                self.list(request).await
            }

            async fn $create(
                &self,
                request: Request<pb::$create_request>,
            ) -> Answer<pb::$message> {
                self.create(request).await
            }

            async fn $update(
                &self,
                request: Request<pb::$update_request>,
            ) -> Answer<pb::$message> {
                self.update(request).await
            }

            async fn $delete(
                &self,
                request: Request<pb::$delete_request>,
            ) -> Answer<pb::$message> {
                self.delete(request).await
            }

            async fn list_children(
                &self,
                request: Request<h::ListLinkedRequest>,
            ) -> Answer<pb::$linked> {
                self.children(request).await
            }

            async fn list_parents(
                &self,
                request: Request<h::ListLinkedRequest>,
            ) -> Answer<pb::$linked> {
                self.parents(request).await
            }

            async fn add_child(&self, request: Request<h::AddLinkRequest>) -> Answer<h::Link> {
                MasterGrpc::add_child(self, request).await
            }

            async fn remove_child(
                &self,
                request: Request<h::RemoveLinkRequest>,
            ) -> Answer<h::Link> {
                MasterGrpc::remove_child(self, request).await
            }

            $($extra)*
        }
    };
}

mod customer;
mod product;
