//! `gotemp.product.v1.ProductService`: the product messages and their conversions, and the
//! component RPCs only products have.

use super::{Answer, MasterGrpc, MasterMessages};
use crate::convert::{from_struct, instant, link, page_request, timestamp, to_struct};
use crate::pb::hierarchy as h;
use crate::pb::product as pb;
use crate::pb::product::product_service_server::{ProductService, ProductServiceServer};
use gotemp_core::Result;
use gotemp_core::entities::{NewProduct, Product, ProductChanges, ProductFilter, Related};
use gotemp_core::page::PageRequest;
use tonic::Request;

impl MasterMessages for Product {
    type Message = pb::Product;
    type Linked = pb::LinkedProducts;
    type GetRequest = pb::GetProductRequest;
    type ListRequest = pb::ListProductsRequest;
    type ListResponse = pb::ListProductsResponse;
    type CreateRequest = pb::CreateProductRequest;
    type UpdateRequest = pb::UpdateProductRequest;
    type DeleteRequest = pb::DeleteProductRequest;

    fn message(self) -> pb::Product {
        pb::Product {
            id: self.id,
            name: self.name,
            hierarchy_level: self.hierarchy_level,
            valid_from: timestamp(self.valid_from),
            valid_thru: timestamp(self.valid_thru),
            extra_fields: Some(to_struct(self.extra_fields)),
            created_at: timestamp(self.created_at),
            updated_at: timestamp(self.updated_at),
            modified_by: self.modified_by,
            version: self.version,
        }
    }

    fn linked(items: Vec<Related<Product>>) -> pb::LinkedProducts {
        let items = items.into_iter().map(|r| pb::LinkedProduct {
            link: Some(link(r.link)),
            product: Some(r.object.message()),
        });
        pb::LinkedProducts {
            items: items.collect(),
        }
    }

    fn get_id(request: pb::GetProductRequest) -> String {
        request.id
    }

    fn search(r: pb::ListProductsRequest) -> Result<(ProductFilter, PageRequest)> {
        let filter = ProductFilter {
            id: r.id,
            name: r.name,
            hierarchy_level: r.hierarchy_level,
            valid_on: instant("valid_on", r.valid_on)?,
        };
        Ok((filter, page_request(r.page_size, r.page_token)))
    }

    fn listed(products: Vec<pb::Product>, next_page_token: String) -> pb::ListProductsResponse {
        pb::ListProductsResponse {
            products,
            next_page_token,
        }
    }

    fn new_input(r: pb::CreateProductRequest) -> Result<NewProduct> {
        Ok(NewProduct {
            valid_from: instant("valid_from", r.valid_from)?,
            valid_thru: instant("valid_thru", r.valid_thru)?,
            id: r.id,
            name: r.name,
            hierarchy_level: r.hierarchy_level,
            extra_fields: r.extra_fields.map(from_struct),
        })
    }

    fn changes(r: pb::UpdateProductRequest) -> Result<(String, ProductChanges, Option<i64>)> {
        let changes = ProductChanges {
            valid_from: instant("valid_from", r.valid_from)?,
            valid_thru: instant("valid_thru", r.valid_thru)?,
            name: r.name,
            hierarchy_level: r.hierarchy_level,
            extra_fields: r.extra_fields.map(from_struct),
        };
        Ok((r.id, changes, r.version))
    }

    fn deleted(r: pb::DeleteProductRequest) -> (String, Option<i64>) {
        (r.id, r.version)
    }
}

master_rpcs!(
    Product, ProductServiceServer, ProductService,
    get: get_product, list: list_products, create: create_product, update: update_product,
    delete: delete_product {
        async fn list_components(
            &self,
            request: Request<h::ListLinkedRequest>,
        ) -> Answer<pb::LinkedProducts> {
            self.components(request).await
        }

        async fn add_component(&self, request: Request<h::AddLinkRequest>) -> Answer<h::Link> {
            MasterGrpc::add_component(self, request).await
        }

        async fn remove_component(
            &self,
            request: Request<h::RemoveLinkRequest>,
        ) -> Answer<h::Link> {
            MasterGrpc::remove_component(self, request).await
        }
    }
);
