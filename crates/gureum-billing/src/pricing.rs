//! The Price List query API over the catalogue: `GetProducts` answers
//! price-list documents in AWS's `aws_v1` shape (each a JSON string),
//! `DescribeServices` the service codes and their attribute names,
//! `GetAttributeValues` an attribute's values.

use crate::catalogue::{Catalogue, Product};
use crate::errors::PricingError;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_kit::paging::{page_sorted, PageRequest};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// The only price-list format AWS answers.
const FORMAT: &str = "aws_v1";

/// The Price List service.
pub struct PricingService;

fn str_member<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

fn check_format(input: &Value) -> Result<(), AwsError> {
    match str_member(input, "FormatVersion") {
        None | Some(FORMAT) => Ok(()),
        Some(other) => Err(PricingError::InvalidParameter {
            message: format!("Input FormatVersion {other} is invalid. Valid values: [aws_v1]"),
        }
        .into()),
    }
}

fn request(input: &Value) -> Result<PageRequest, AwsError> {
    PageRequest::new(
        input.get("MaxResults").and_then(Value::as_i64),
        str_member(input, "NextToken"),
        (1, 100),
        100,
    )
    .map_err(|e| match e {
        gureum_kit::paging::PagingError::BadToken(_) => PricingError::InvalidNextToken.into(),
        _ => PricingError::InvalidParameter {
            message: "MaxResults must be between 1 and 100".into(),
        }
        .into(),
    })
}

/// Every attribute of a product, as the price list names them.
fn attributes(p: &Product) -> BTreeMap<String, String> {
    let c = Catalogue::get();
    let mut a = p.attributes.clone();
    a.insert("servicecode".into(), p.service.clone());
    a.insert("location".into(), c.location.clone());
    a.insert("locationType".into(), "AWS Region".into());
    a.insert("regionCode".into(), c.region.clone());
    a.insert("usagetype".into(), p.usage_type.clone());
    a.insert("operation".into(), p.operation.clone());
    a
}

/// The price-list document of a product, in AWS's `aws_v1` shape.
pub fn document(p: &Product) -> Value {
    let c = Catalogue::get();
    let sku = p.sku();
    let term = "JRTCKXETXF";
    let rate = format!("{sku}.{term}.6YS6EN2CT7");
    let effective = format!("{}T00:00:00Z", c.as_of);
    json!({
        "product": {
            "productFamily": p.family,
            "attributes": attributes(p),
            "sku": sku,
        },
        "serviceCode": p.service,
        "terms": {"OnDemand": {format!("{sku}.{term}"): {
            "priceDimensions": {rate.clone(): {
                "unit": p.unit,
                "endRange": "Inf",
                "description": p.description,
                "appliesTo": [],
                "rateCode": rate,
                "beginRange": "0",
                "pricePerUnit": {"USD": format!("{:.10}", p.usd())},
            }},
            "sku": sku,
            "effectiveDate": effective,
            "offerTermCode": term,
            "termAttributes": {},
        }}},
        "version": c.as_of.replace('-', ""),
        "publicationDate": effective,
    })
}

/// Whether `p` passes one `Filters` entry.
fn passes(p: &Product, attrs: &BTreeMap<String, String>, f: &Value) -> Result<bool, AwsError> {
    let field = str_member(f, "Field").unwrap_or_default();
    let value = str_member(f, "Value").unwrap_or_default();
    let actual = if field.eq_ignore_ascii_case("productFamily") {
        Some(p.family.as_str())
    } else {
        attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
    };
    let values = || value.split(',').map(str::trim);
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    Ok(match str_member(f, "Type").unwrap_or("TERM_MATCH") {
        "TERM_MATCH" | "EQUALS" => actual.is_some_and(|a| eq(a, value)),
        "CONTAINS" => actual.is_some_and(|a| a.to_ascii_lowercase().contains(&value.to_ascii_lowercase())),
        "ANY_OF" => actual.is_some_and(|a| values().any(|v| eq(a, v))),
        "NONE_OF" => !actual.is_some_and(|a| values().any(|v| eq(a, v))),
        other => {
            return Err(PricingError::InvalidParameter {
                message: format!("Input filter type {other} is invalid. Valid values: [TERM_MATCH, EQUALS, CONTAINS, ANY_OF, NONE_OF]"),
            }
            .into())
        }
    })
}

fn known_service(code: &str) -> Result<(), AwsError> {
    if Catalogue::get().products.iter().any(|p| p.service == code) {
        Ok(())
    } else {
        Err(PricingError::NotFound {
            message: format!("Service {code} is not available in the pricing catalog"),
        }
        .into())
    }
}

impl PricingService {
    /// `GetProducts`.
    fn get_products(&self, _ctx: &RequestContext, input: Value) -> OpResult {
        check_format(&input)?;
        let code = str_member(&input, "ServiceCode").unwrap_or_default();
        let req = request(&input)?;
        let filters = input
            .get("Filters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut matched = Vec::new();
        for p in Catalogue::get()
            .products
            .iter()
            .filter(|p| p.service == code)
        {
            let attrs = attributes(p);
            let mut keep = true;
            for f in &filters {
                keep &= passes(p, &attrs, f)?;
            }
            if keep {
                matched.push(p);
            }
        }
        matched.sort_by_key(|p| p.sku());
        let page = page_sorted(&matched, |p| p.sku(), &req);
        let list: Vec<String> = page.items.iter().map(|p| document(p).to_string()).collect();
        let mut out = json!({"FormatVersion": FORMAT, "PriceList": list});
        if let Some(t) = page.next_token {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    /// `DescribeServices`.
    fn describe_services(&self, _ctx: &RequestContext, input: Value) -> OpResult {
        check_format(&input)?;
        let req = request(&input)?;
        let mut services: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in &Catalogue::get().products {
            let names = services.entry(p.service.clone()).or_default();
            names.extend(attributes(p).into_keys());
            names.insert("productFamily".into());
        }
        if let Some(code) = str_member(&input, "ServiceCode") {
            known_service(code)?;
            services.retain(|k, _| k == code);
        }
        let all: Vec<(String, BTreeSet<String>)> = services.into_iter().collect();
        let page = page_sorted(&all, |(k, _)| k.clone(), &req);
        let items: Vec<Value> = page
            .items
            .iter()
            .map(|(code, names)| json!({"ServiceCode": code, "AttributeNames": names}))
            .collect();
        let mut out = json!({"FormatVersion": FORMAT, "Services": items});
        if let Some(t) = page.next_token {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    /// `GetAttributeValues`.
    fn get_attribute_values(&self, _ctx: &RequestContext, input: Value) -> OpResult {
        let code = str_member(&input, "ServiceCode").unwrap_or_default();
        let name = str_member(&input, "AttributeName").unwrap_or_default();
        known_service(code)?;
        let req = request(&input)?;
        let mut values = BTreeSet::new();
        for p in Catalogue::get()
            .products
            .iter()
            .filter(|p| p.service == code)
        {
            if name.eq_ignore_ascii_case("productFamily") {
                values.insert(p.family.clone());
            } else if let Some((_, v)) = attributes(p)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
            {
                values.insert(v);
            }
        }
        if values.is_empty() {
            return Err(PricingError::NotFound {
                message: format!("Attribute name {name} is not available for service {code}"),
            }
            .into());
        }
        let all: Vec<String> = values.into_iter().collect();
        let page = page_sorted(&all, Clone::clone, &req);
        let items: Vec<Value> = page.items.iter().map(|v| json!({"Value": v})).collect();
        let mut out = json!({"AttributeValues": items});
        if let Some(t) = page.next_token {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }
}

gureum_core::service_operations! {
    PricingService, "pricing",
    "GetProducts" => get_products,
    "DescribeServices" => describe_services,
    "GetAttributeValues" => get_attribute_values,
}
