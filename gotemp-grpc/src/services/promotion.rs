//! `gotemp.promotion.v1.PromotionService`.

use crate::auth::Authenticator;
use crate::convert::{instant, page, page_request, timestamp};
use crate::pb::promotion as pb;
use crate::status::IntoStatus as _;
use gotemp_core::Result;
use gotemp_core::entities::{
    Discount, NewPromotion, Promotion, PromotionChanges, PromotionFilter, PromotionProduct,
};
use gotemp_core::services::PromotionService;
use tonic::{Request, Response, Status};

/// The promotion service over gRPC.
pub struct PromotionGrpc {
    promotions: PromotionService,
    auth: Authenticator,
}

impl PromotionGrpc {
    /// Serves `promotions`, checking callers with `auth`.
    pub fn new(promotions: PromotionService, auth: Authenticator) -> Self {
        Self { promotions, auth }
    }

    /// The tonic service, ready to be added to a server.
    pub fn into_server(self) -> pb::promotion_service_server::PromotionServiceServer<Self> {
        pb::promotion_service_server::PromotionServiceServer::new(self)
            .max_decoding_message_size(crate::limits::MAX_REQUEST_BYTES)
    }
}

fn to_pb_product(p: PromotionProduct) -> pb::PromotionProduct {
    pb::PromotionProduct {
        product_id: p.product_id,
        upc_code: p.upc_code,
        discounts: p
            .discounts
            .into_iter()
            .map(|d| pb::Discount {
                id: d.id,
                value: d.value,
                r#type: d.kind,
                description: d.description,
            })
            .collect(),
    }
}

fn from_pb_product(p: pb::PromotionProduct) -> PromotionProduct {
    PromotionProduct {
        product_id: p.product_id,
        upc_code: p.upc_code,
        discounts: p
            .discounts
            .into_iter()
            .map(|d| Discount {
                id: d.id,
                value: d.value,
                kind: d.r#type,
                description: d.description,
            })
            .collect(),
    }
}

fn promotion(p: Promotion) -> pb::Promotion {
    pb::Promotion {
        id: p.id,
        name: p.name,
        description: p.description,
        valid_from: timestamp(p.valid_from),
        valid_thru: timestamp(p.valid_thru),
        active: p.active,
        customer_id: p.customer_id,
        customer_name: p.customer_name,
        products: p.products.into_iter().map(to_pb_product).collect(),
        approval_status: p.approval_status,
        prev_approval_status: p.prev_approval_status,
        created_at: timestamp(p.created_at),
        updated_at: timestamp(p.updated_at),
        modified_by: p.modified_by,
        version: p.version,
    }
}

fn filter(r: &pb::ListPromotionsRequest) -> Result<PromotionFilter> {
    Ok(PromotionFilter {
        id: r.id,
        name: r.name.clone(),
        product_id: r.product_id.clone(),
        customer_id: r.customer_id.clone(),
        valid_on: instant("valid_on", r.valid_on)?,
    })
}

#[tonic::async_trait]
impl pb::promotion_service_server::PromotionService for PromotionGrpc {
    async fn get_promotion(
        &self,
        request: Request<pb::GetPromotionRequest>,
    ) -> std::result::Result<Response<pb::Promotion>, Status> {
        let actor = self.auth.caller(&request).await?;
        let found = self
            .promotions
            .get(&actor, request.into_inner().id)
            .await
            .or_status()?;
        Ok(Response::new(promotion(found)))
    }

    async fn list_promotions(
        &self,
        request: Request<pb::ListPromotionsRequest>,
    ) -> std::result::Result<Response<pb::ListPromotionsResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let filter = filter(&r).or_status()?;
        let found = self
            .promotions
            .list(&actor, &filter, &page_request(r.page_size, r.page_token))
            .await
            .or_status()?;
        let (promotions, next_page_token) = page(found, promotion);
        Ok(Response::new(pb::ListPromotionsResponse {
            promotions,
            next_page_token,
        }))
    }

    async fn create_promotion(
        &self,
        request: Request<pb::CreatePromotionRequest>,
    ) -> std::result::Result<Response<pb::Promotion>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let input = NewPromotion {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            name: r.name,
            description: r.description,
            active: r.active,
            customer_id: r.customer_id,
            products: r.products.into_iter().map(from_pb_product).collect(),
            approval_status: r.approval_status,
        };
        let created = self.promotions.create(&actor, input).await.or_status()?;
        Ok(Response::new(promotion(created)))
    }

    async fn update_promotion(
        &self,
        request: Request<pb::UpdatePromotionRequest>,
    ) -> std::result::Result<Response<pb::Promotion>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let changes = PromotionChanges {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            name: r.name,
            description: r.description,
            active: r.active,
            customer_id: r.customer_id,
            products: r
                .products
                .map(|list| list.items.into_iter().map(from_pb_product).collect()),
            approval_status: r.approval_status,
        };
        let updated = self
            .promotions
            .update(&actor, r.id, changes, r.version)
            .await
            .or_status()?;
        Ok(Response::new(promotion(updated)))
    }

    async fn delete_promotion(
        &self,
        request: Request<pb::DeletePromotionRequest>,
    ) -> std::result::Result<Response<pb::Promotion>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let deleted = self
            .promotions
            .delete(&actor, r.id, r.version)
            .await
            .or_status()?;
        Ok(Response::new(promotion(deleted)))
    }
}
