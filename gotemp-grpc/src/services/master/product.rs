//! `gotemp.product.v1.ProductService`: products add their hierarchy level and the component
//! RPCs.

master_grpc! {
    entity: Product (NewProduct, ProductChanges, ProductFilter),
    own: [hierarchy_level],
    proto: product,
    message: Product,
    linked: LinkedProducts of LinkedProduct.product,
    service: product_service_server::{ProductService, ProductServiceServer},
    get: get_product (GetProductRequest),
    list: list_products (ListProductsRequest -> ListProductsResponse.products),
    create: create_product (CreateProductRequest),
    update: update_product (UpdateProductRequest),
    delete: delete_product (DeleteProductRequest),
    {
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
}
