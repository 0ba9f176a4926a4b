//! Customers and products over gRPC, written once: [`MasterGrpc`] authenticates, converts and
//! calls the master-data service for any kind; a kind states its messages
//! ([`MasterMessages`]), and [`master_rpcs!`] binds the generated tonic trait of its service to
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
        self.auth.caller(&request).await?;
        let id = E::get_id(request.into_inner());
        let found = self.service.get(&id).await.or_status()?;
        Ok(Response::new(found.message()))
    }

    async fn list(&self, request: Request<E::ListRequest>) -> Answer<E::ListResponse> {
        self.auth.caller(&request).await?;
        let (filter, page_request) = E::search(request.into_inner()).or_status()?;
        let found = self
            .service
            .list(&filter, &page_request)
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
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.service.children(&id, valid_on).await.or_status()?;
        Ok(Response::new(E::linked(found)))
    }

    async fn parents(&self, request: Request<h::ListLinkedRequest>) -> Answer<E::Linked> {
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.service.parents(&id, valid_on).await.or_status()?;
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
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.service.components(&id, valid_on).await.or_status()?;
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

/// Implements a kind's generated tonic service trait with the generic methods; `$extra` are
/// the kind's own RPCs (products' components), written out by the caller.
macro_rules! master_rpcs {
    (
        $entity:ty, $server:ident, $service:path,
        get: $get:ident, list: $list:ident, create: $create:ident, update: $update:ident,
        delete: $delete:ident $(,)? { $($extra:tt)* }
    ) => {
        impl MasterGrpc<$entity> {
            /// The tonic service, ready to be added to a server.
            pub fn into_server(self) -> $server<Self> {
                $server::new(self)
            }
        }

        #[tonic::async_trait]
        impl $service for MasterGrpc<$entity> {
            async fn $get(
                &self,
                request: Request<<$entity as MasterMessages>::GetRequest>,
            ) -> Answer<<$entity as MasterMessages>::Message> {
                self.get(request).await
            }

            async fn $list(
                &self,
                request: Request<<$entity as MasterMessages>::ListRequest>,
            ) -> Answer<<$entity as MasterMessages>::ListResponse> {
                self.list(request).await
            }

            async fn $create(
                &self,
                request: Request<<$entity as MasterMessages>::CreateRequest>,
            ) -> Answer<<$entity as MasterMessages>::Message> {
                self.create(request).await
            }

            async fn $update(
                &self,
                request: Request<<$entity as MasterMessages>::UpdateRequest>,
            ) -> Answer<<$entity as MasterMessages>::Message> {
                self.update(request).await
            }

            async fn $delete(
                &self,
                request: Request<<$entity as MasterMessages>::DeleteRequest>,
            ) -> Answer<<$entity as MasterMessages>::Message> {
                self.delete(request).await
            }

            async fn list_children(
                &self,
                request: Request<h::ListLinkedRequest>,
            ) -> Answer<<$entity as MasterMessages>::Linked> {
                self.children(request).await
            }

            async fn list_parents(
                &self,
                request: Request<h::ListLinkedRequest>,
            ) -> Answer<<$entity as MasterMessages>::Linked> {
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
