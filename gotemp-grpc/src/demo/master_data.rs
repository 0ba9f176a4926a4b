//! The customer and product clients' flows: master data with extra fields.

use super::{Log, Touched, run_tag, text_struct};
use crate::client::GotempClient;
use crate::pb::{customer, product};
use gotemp_core::tr;
use tonic::Status;

/// Creates a customer with extra fields, renames it, gets it, lists customers, deletes it.
pub async fn customer_flow(c: &GotempClient, log: &mut dyn Log) -> Result<Vec<Touched>, Status> {
    let id = format!("demo-customer-{}", run_tag());
    let created = c
        .customers()
        .create_customer(customer::CreateCustomerRequest {
            id: Some(id.clone()),
            name: "Quack Supplies".into(),
            extra_fields: text_struct(&[("external_id", "Q-1001"), ("region", "north")]),
            ..Default::default()
        })
        .await?
        .into_inner();
    log.step(
        "customer",
        &tr!("demo.step.create"),
        &tr!("demo.master_created", id = created.id, name = created.name),
    );
    let updated = c
        .customers()
        .update_customer(customer::UpdateCustomerRequest {
            id: id.clone(),
            version: Some(created.version),
            name: Some("Quack Supplies International".into()),
            ..Default::default()
        })
        .await?
        .into_inner();
    log.step(
        "customer",
        &tr!("demo.step.update"),
        &tr!(
            "demo.renamed",
            name = updated.name,
            version = updated.version
        ),
    );
    let got = c
        .customers()
        .get_customer(customer::GetCustomerRequest { id: id.clone() })
        .await?
        .into_inner();
    let extra = got
        .extra_fields
        .as_ref()
        .map(|s| s.fields.len())
        .unwrap_or(0);
    log.step(
        "customer",
        &tr!("demo.step.get"),
        &tr!("demo.customer_got", name = got.name, extra = extra),
    );
    let listed = c
        .customers()
        .list_customers(customer::ListCustomersRequest {
            page_size: 10,
            ..Default::default()
        })
        .await?
        .into_inner();
    let ids: Vec<&str> = listed.customers.iter().map(|x| x.id.as_str()).collect();
    log.step("customer", &tr!("demo.step.list"), &ids.join(", "));
    c.customers()
        .delete_customer(customer::DeleteCustomerRequest {
            id: id.clone(),
            version: Some(got.version),
        })
        .await?;
    let deleted = tr!("demo.deleted", what = id);
    log.step("customer", &tr!("demo.step.delete"), &deleted);
    Ok(vec![("customer".into(), id)])
}

/// Creates a product with extra fields, renames it, gets it, lists products, deletes it.
pub async fn product_flow(c: &GotempClient, log: &mut dyn Log) -> Result<Vec<Touched>, Status> {
    let id = format!("demo-product-{}", run_tag());
    let created = c
        .products()
        .create_product(product::CreateProductRequest {
            id: Some(id.clone()),
            name: "Rubber Duck XL".into(),
            hierarchy_level: "sku".into(),
            extra_fields: text_struct(&[("colour", "yellow"), ("upc", "0001112223334")]),
            ..Default::default()
        })
        .await?
        .into_inner();
    log.step(
        "product",
        &tr!("demo.step.create"),
        &tr!("demo.master_created", id = created.id, name = created.name),
    );
    let updated = c
        .products()
        .update_product(product::UpdateProductRequest {
            id: id.clone(),
            version: Some(created.version),
            name: Some("Rubber Duck XXL".into()),
            ..Default::default()
        })
        .await?
        .into_inner();
    log.step(
        "product",
        &tr!("demo.step.update"),
        &tr!(
            "demo.renamed",
            name = updated.name,
            version = updated.version
        ),
    );
    let got = c
        .products()
        .get_product(product::GetProductRequest { id: id.clone() })
        .await?
        .into_inner();
    log.step(
        "product",
        &tr!("demo.step.get"),
        &tr!(
            "demo.product_got",
            name = got.name,
            level = got.hierarchy_level
        ),
    );
    let listed = c
        .products()
        .list_products(product::ListProductsRequest {
            page_size: 10,
            ..Default::default()
        })
        .await?
        .into_inner();
    let ids: Vec<&str> = listed.products.iter().map(|x| x.id.as_str()).collect();
    log.step("product", &tr!("demo.step.list"), &ids.join(", "));
    c.products()
        .delete_product(product::DeleteProductRequest {
            id: id.clone(),
            version: Some(got.version),
        })
        .await?;
    let deleted = tr!("demo.deleted", what = id);
    log.step("product", &tr!("demo.step.delete"), &deleted);
    Ok(vec![("product".into(), id)])
}
