//! The rules of a promotion's product lines and their discounts.

use crate::entities::{Discount, PromotionProduct};
use crate::error::{FieldError, Violations};
use crate::values::{DiscountValue, EntityKey, Text};

const UPC_MAX: usize = 50;
const DESCRIPTION_MAX: usize = 255;
/// Most product lines one promotion holds. Bounds what one write stores, what its audit event
/// carries (every event must fit the broker's message size) and what one read returns.
pub const MAX_PRODUCT_LINES: usize = 1_000;
/// Most discounts one product line holds.
pub const MAX_DISCOUNTS_PER_LINE: usize = 50;

/// Checks product lines: at most [`MAX_PRODUCT_LINES`] of at most [`MAX_DISCOUNTS_PER_LINE`]
/// discounts, product id required, values positive, texts bounded; discount ids left at 0 get
/// the next free number within their line. A list over its limit is refused as a whole, before
/// its items are looked at, so an oversized request costs no per-item work.
pub(super) fn check_products(
    v: &mut Violations,
    products: Vec<PromotionProduct>,
) -> Option<Vec<PromotionProduct>> {
    if products.len() > MAX_PRODUCT_LINES {
        v.push(too_many_items(
            "products",
            MAX_PRODUCT_LINES,
            products.len(),
        ));
        return None;
    }
    let mut failed = false;
    let mut checked = Vec::with_capacity(products.len());
    for (i, p) in products.into_iter().enumerate() {
        let at = format!("products[{i}]");
        let product_id = v.check(EntityKey::parse(&format!("{at}.product_id"), &p.product_id));
        let upc = v.check(Text::parse_optional(
            &format!("{at}.upc_code"),
            p.upc_code.as_deref(),
            UPC_MAX,
        ));
        let discounts = check_discounts(v, &at, p.discounts);
        match (product_id, upc, discounts) {
            (Some(product_id), Some(upc), Some(discounts)) => checked.push(PromotionProduct {
                product_id: product_id.as_str().to_owned(),
                upc_code: upc.map(Text::into_inner),
                discounts,
            }),
            _ => failed = true,
        }
    }
    (!failed).then_some(checked)
}

/// Checks the discounts of the product line at `at`.
fn check_discounts(v: &mut Violations, at: &str, given: Vec<Discount>) -> Option<Vec<Discount>> {
    if given.len() > MAX_DISCOUNTS_PER_LINE {
        let field = format!("{at}.discounts");
        v.push(too_many_items(&field, MAX_DISCOUNTS_PER_LINE, given.len()));
        return None;
    }
    let mut failed = false;
    let mut next_id = given.iter().map(|d| d.id).max().unwrap_or(0).max(0);
    let mut discounts = Vec::with_capacity(given.len());
    for (j, d) in given.into_iter().enumerate() {
        let dat = format!("{at}.discounts[{j}]");
        let value = v.check(DiscountValue::parse(&format!("{dat}.value"), d.value));
        let description = v.check(Text::parse_optional(
            &format!("{dat}.description"),
            d.description.as_deref(),
            DESCRIPTION_MAX,
        ));
        if d.id < 0 {
            failed = true;
            v.push(FieldError::new(
                format!("{dat}.id"),
                "out_of_range",
                crate::tr!("field.negative", field = format!("{dat}.id")),
            ));
        }
        let id = if d.id == 0 {
            // The largest id given may leave no number after it: a field error, not a panic.
            match next_id.checked_add(1) {
                Some(id) => {
                    next_id = id;
                    id
                }
                None => {
                    failed = true;
                    v.push(FieldError::new(
                        format!("{dat}.id"),
                        "out_of_range",
                        crate::tr!("field.no_id_left", field = format!("{dat}.id")),
                    ));
                    0
                }
            }
        } else {
            d.id
        };
        match (value, description) {
            (Some(value), Some(description)) => discounts.push(Discount {
                id,
                value: value.get(),
                kind: d.kind,
                description: description.map(Text::into_inner),
            }),
            _ => failed = true,
        }
    }
    (!failed).then_some(discounts)
}

/// The failure of a list longer than its limit.
fn too_many_items(field: &str, max: usize, got: usize) -> FieldError {
    FieldError::new(
        field,
        "too_many_items",
        crate::tr!("field.too_many_items", field = field, max = max, got = got),
    )
}
