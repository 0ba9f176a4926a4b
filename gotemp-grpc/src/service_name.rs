//! The names of gotemp's five services, as `--services`, health checks, reflection and
//! discovery know them. A leaf: everything else in the crate may name a service, and this
//! module names nothing.

use std::str::FromStr;

/// One of gotemp's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceName {
    /// Users and authentication.
    User,
    /// Customers.
    Customer,
    /// Products.
    Product,
    /// Promotions.
    Promotion,
    /// Audit trail queries.
    Audit,
}

impl ServiceName {
    /// All five, in dependency order.
    pub const ALL: [ServiceName; 5] = [
        Self::User,
        Self::Customer,
        Self::Product,
        Self::Promotion,
        Self::Audit,
    ];

    /// The fully qualified gRPC service name, as health checks and reflection know it.
    pub fn grpc_name(self) -> &'static str {
        match self {
            Self::User => "gotemp.user.v1.UserService",
            Self::Customer => "gotemp.customer.v1.CustomerService",
            Self::Product => "gotemp.product.v1.ProductService",
            Self::Promotion => "gotemp.promotion.v1.PromotionService",
            Self::Audit => "gotemp.audit.v1.AuditService",
        }
    }

    /// The short name (`user`, `customer`, …), as `--services` and mDNS service types use it.
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Customer => "customer",
            Self::Product => "product",
            Self::Promotion => "promotion",
            Self::Audit => "audit",
        }
    }

    /// Parses `user,promotion` or `all`.
    pub fn parse_list(list: &str) -> Result<Vec<ServiceName>, String> {
        let mut out = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "all" {
                return Ok(Self::ALL.to_vec());
            }
            let name = part.parse()?;
            if !out.contains(&name) {
                out.push(name);
            }
        }
        if out.is_empty() {
            return Err(
                "services: name at least one of user, customer, product, promotion, audit (or all)"
                    .into(),
            );
        }
        Ok(out)
    }
}

impl FromStr for ServiceName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "user" => Ok(Self::User),
            "customer" => Ok(Self::Customer),
            "product" => Ok(Self::Product),
            "promotion" => Ok(Self::Promotion),
            "audit" => Ok(Self::Audit),
            other => Err(format!(
                "services: unknown service {other:?}; expected user, customer, product, promotion, audit or all"
            )),
        }
    }
}
