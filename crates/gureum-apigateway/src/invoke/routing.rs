//! Matching a request path to a resource of a deployed snapshot: static
//! parts before `{param}` before greedy `{proxy+}`, and the request's verb
//! before `ANY`.

use crate::resources::is_variable;
use crate::Resource;
use std::collections::BTreeMap;

/// The resource and method a path reached.
pub(crate) struct Found {
    pub resource_id: String,
    pub verb: String,
    pub params: BTreeMap<String, String>,
}

/// The resource of `resources` serving `verb` on `path`, if any.
pub(crate) fn route(
    resources: &BTreeMap<String, Resource>,
    verb: &str,
    path: &str,
) -> Option<Found> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let root = resources.iter().find(|(_, r)| r.parent_id.is_none())?.0;
    let mut params = BTreeMap::new();
    walk(resources, root, &segments, verb, &mut params)
}

fn walk(
    resources: &BTreeMap<String, Resource>,
    id: &str,
    rest: &[String],
    verb: &str,
    params: &mut BTreeMap<String, String>,
) -> Option<Found> {
    let Some((first, tail)) = rest.split_first() else {
        let r = &resources[id];
        let chosen = [verb, "ANY"]
            .into_iter()
            .find(|v| r.methods.contains_key(*v))?;
        return Some(Found {
            resource_id: id.to_string(),
            verb: chosen.to_string(),
            params: params.clone(),
        });
    };
    let mut children: Vec<(&String, &Resource)> = resources
        .iter()
        .filter(|(_, r)| r.parent_id.as_deref() == Some(id))
        .collect();
    // Static parts win over variables, variables over greedy ones.
    children.sort_by_key(
        |(_, r)| match (is_variable(&r.path_part), r.path_part.ends_with("+}")) {
            (false, _) => 0,
            (true, false) => 1,
            (true, true) => 2,
        },
    );
    for (child_id, child) in children {
        let part = child.path_part.as_str();
        if !is_variable(part) {
            if part == first {
                if let Some(found) = walk(resources, child_id, tail, verb, params) {
                    return Some(found);
                }
            }
            continue;
        }
        let name = part.trim_start_matches('{').trim_end_matches('}');
        if let Some(greedy) = name.strip_suffix('+') {
            let r = &resources[child_id.as_str()];
            if let Some(chosen) = [verb, "ANY"]
                .into_iter()
                .find(|v| r.methods.contains_key(*v))
            {
                let mut p = params.clone();
                p.insert(greedy.to_string(), rest.join("/"));
                return Some(Found {
                    resource_id: child_id.clone(),
                    verb: chosen.to_string(),
                    params: p,
                });
            }
            continue;
        }
        params.insert(name.to_string(), first.clone());
        if let Some(found) = walk(resources, child_id, tail, verb, params) {
            return Some(found);
        }
        params.remove(name);
    }
    None
}
