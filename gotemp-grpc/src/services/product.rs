//! `gotemp.product.v1.ProductService`.

use super::links;
use crate::auth::Authenticator;
use crate::convert::{from_struct, instant, link, page, page_request, timestamp, to_struct};
use crate::pb::hierarchy as h;
use crate::pb::product as pb;
use crate::status::IntoStatus as _;
use gotemp_core::Result;
use gotemp_core::entities::{NewProduct, Product, ProductChanges, ProductFilter, Related};
use gotemp_core::services::ProductService;
use tonic::{Request, Response, Status};

/// The product service over gRPC.
pub struct ProductGrpc {
    products: ProductService,
    auth: Authenticator,
}

impl ProductGrpc {
    /// Serves `products`, checking callers with `auth`.
    pub fn new(products: ProductService, auth: Authenticator) -> Self {
        Self { products, auth }
    }

    /// The tonic service, ready to be added to a server.
    pub fn into_server(self) -> pb::product_service_server::ProductServiceServer<Self> {
        pb::product_service_server::ProductServiceServer::new(self)
    }
}

fn product(c: Product) -> pb::Product {
    pb::Product {
        id: c.id,
        name: c.name,
        valid_from: timestamp(c.valid_from),
        valid_thru: timestamp(c.valid_thru),
        extra_fields: Some(to_struct(c.extra_fields)),
        hierarchy_level: c.hierarchy_level,
        created_at: timestamp(c.created_at),
        updated_at: timestamp(c.updated_at),
        modified_by: c.modified_by,
        version: c.version,
    }
}

fn linked(items: Vec<Related<Product>>) -> pb::LinkedProducts {
    let items = items.into_iter().map(|r| pb::LinkedProduct {
        link: Some(link(r.link)),
        product: Some(product(r.object)),
    });
    pb::LinkedProducts {
        items: items.collect(),
    }
}

#[tonic::async_trait]
impl pb::product_service_server::ProductService for ProductGrpc {
    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> std::result::Result<Response<pb::Product>, Status> {
        self.auth.caller(&request).await?;
        let found = self
            .products
            .get(&request.into_inner().id)
            .await
            .or_status()?;
        Ok(Response::new(product(found)))
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> std::result::Result<Response<pb::ListProductsResponse>, Status> {
        self.auth.caller(&request).await?;
        let r = request.into_inner();
        let filter = (|| -> Result<ProductFilter> {
            Ok(ProductFilter {
                id: r.id.clone(),
                name: r.name.clone(),
                hierarchy_level: r.hierarchy_level.clone(),
                valid_on: instant("valid_on", r.valid_on)?,
            })
        })()
        .or_status()?;
        let found = self
            .products
            .list(&filter, &page_request(r.page_size, r.page_token))
            .await
            .or_status()?;
        let (products, next_page_token) = page(found, product);
        Ok(Response::new(pb::ListProductsResponse {
            products,
            next_page_token,
        }))
    }

    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> std::result::Result<Response<pb::Product>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let input = NewProduct {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            id: r.id,
            name: r.name,
            hierarchy_level: r.hierarchy_level,
            extra_fields: r.extra_fields.map(from_struct),
        };
        let created = self.products.create(&actor, input).await.or_status()?;
        Ok(Response::new(product(created)))
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> std::result::Result<Response<pb::Product>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let changes = ProductChanges {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            name: r.name,
            hierarchy_level: r.hierarchy_level,
            extra_fields: r.extra_fields.map(from_struct),
        };
        let updated = self
            .products
            .update(&actor, &r.id, changes, r.version)
            .await
            .or_status()?;
        Ok(Response::new(product(updated)))
    }

    async fn delete_product(
        &self,
        request: Request<pb::DeleteProductRequest>,
    ) -> std::result::Result<Response<pb::Product>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let deleted = self
            .products
            .delete(&actor, &r.id, r.version)
            .await
            .or_status()?;
        Ok(Response::new(product(deleted)))
    }

    async fn list_children(
        &self,
        request: Request<h::ListLinkedRequest>,
    ) -> std::result::Result<Response<pb::LinkedProducts>, Status> {
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.products.children(&id, valid_on).await.or_status()?;
        Ok(Response::new(linked(found)))
    }

    async fn list_parents(
        &self,
        request: Request<h::ListLinkedRequest>,
    ) -> std::result::Result<Response<pb::LinkedProducts>, Status> {
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.products.parents(&id, valid_on).await.or_status()?;
        Ok(Response::new(linked(found)))
    }

    async fn list_components(
        &self,
        request: Request<h::ListLinkedRequest>,
    ) -> std::result::Result<Response<pb::LinkedProducts>, Status> {
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.products.components(&id, valid_on).await.or_status()?;
        Ok(Response::new(linked(found)))
    }

    async fn add_child(
        &self,
        request: Request<h::AddLinkRequest>,
    ) -> std::result::Result<Response<h::Link>, Status> {
        let (actor, id, input) = links::adding(&self.auth, request).await?;
        links::answer(self.products.add_child(&actor, &id, input).await)
    }

    async fn add_component(
        &self,
        request: Request<h::AddLinkRequest>,
    ) -> std::result::Result<Response<h::Link>, Status> {
        let (actor, id, input) = links::adding(&self.auth, request).await?;
        links::answer(self.products.add_component(&actor, &id, input).await)
    }

    async fn remove_child(
        &self,
        request: Request<h::RemoveLinkRequest>,
    ) -> std::result::Result<Response<h::Link>, Status> {
        let (actor, id, other) = links::removing(&self.auth, request).await?;
        links::answer(self.products.remove_child(&actor, &id, &other).await)
    }

    async fn remove_component(
        &self,
        request: Request<h::RemoveLinkRequest>,
    ) -> std::result::Result<Response<h::Link>, Status> {
        let (actor, id, other) = links::removing(&self.auth, request).await?;
        links::answer(self.products.remove_component(&actor, &id, &other).await)
    }
}
