//! Sticky sessions of an application load balancer's target group:
//! `lb_cookie` (the load balancer's own `AWSALB` and `AWSALBCORS` cookies,
//! set on every response) and `app_cookie` (`AWSALBAPP-0`…`3`, set when the
//! target sets the application's cookie named by
//! `stickiness.app_cookie.cookie_name`). A request carrying the cookie
//! goes to the target it names while that target may take requests.

use http::header::{HeaderMap, HeaderValue, COOKIE, SET_COOKIE};
use std::hash::{DefaultHasher, Hash, Hasher};

/// A group's sticky sessions.
#[derive(Clone, Debug, PartialEq)]
pub enum Stickiness {
    /// The load balancer's cookie, lasting `duration_s`.
    LbCookie {
        /// `stickiness.lb_cookie.duration_seconds`.
        duration_s: i64,
    },
    /// Follows the application's cookie `name`.
    AppCookie {
        /// `stickiness.app_cookie.cookie_name`.
        name: String,
        /// `stickiness.app_cookie.duration_seconds`.
        duration_s: i64,
    },
}

/// The stickiness a group's attributes ask for (`None`: off, or not an
/// application load balancer's kind).
pub fn from_attributes(get: impl Fn(&str) -> Option<String>) -> Option<Stickiness> {
    if get("stickiness.enabled").as_deref() != Some("true") {
        return None;
    }
    let seconds = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(86_400);
    match get("stickiness.type").as_deref() {
        Some("lb_cookie") => Some(Stickiness::LbCookie {
            duration_s: seconds("stickiness.lb_cookie.duration_seconds"),
        }),
        Some("app_cookie") => Some(Stickiness::AppCookie {
            name: get("stickiness.app_cookie.cookie_name").filter(|n| !n.is_empty())?,
            duration_s: seconds("stickiness.app_cookie.duration_seconds"),
        }),
        _ => None,
    }
}

/// A target's cookie value: opaque, the same for the same group and
/// target across restarts, so sessions survive one.
pub fn token(group_arn: &str, id: &str, port: Option<i64>) -> String {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        (salt, group_arn, id, port).hash(&mut h);
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

/// The value of cookie `name` in a request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl Stickiness {
    /// The target token a request's cookie carries.
    pub fn requested<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        match self {
            // AWSALBCORS is the same value for cross-origin requests.
            Stickiness::LbCookie { .. } => {
                cookie(headers, "AWSALB").or_else(|| cookie(headers, "AWSALBCORS"))
            }
            Stickiness::AppCookie { .. } => cookie(headers, "AWSALBAPP-0"),
        }
    }

    /// Adds the cookies naming `token` to a target's response headers.
    pub fn set(&self, response: &mut HeaderMap, token: &str, now_ms: i64) {
        let expires = |s: i64| gureum_core::timestamp::format_http_date(now_ms + s * 1000);
        let cookies: Vec<String> = match self {
            Stickiness::LbCookie { duration_s } => {
                let e = expires(*duration_s);
                vec![
                    format!("AWSALB={token}; Expires={e}; Path=/"),
                    format!("AWSALBCORS={token}; Expires={e}; Path=/; SameSite=None; Secure"),
                ]
            }
            Stickiness::AppCookie { name, duration_s } => {
                let sets_it = response
                    .get_all(SET_COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(|v| v.split_once('=').is_some_and(|(k, _)| k.trim() == name));
                if !sets_it {
                    return;
                }
                let e = expires(*duration_s);
                // The value fits one cookie here; the others are cleared.
                let mut out = vec![format!("AWSALBAPP-0={token}; Expires={e}; Path=/")];
                out.extend((1..4).map(|i| format!("AWSALBAPP-{i}=_remove_; Expires={e}; Path=/")));
                out
            }
        };
        for c in cookies {
            if let Ok(v) = HeaderValue::from_str(&c) {
                response.append(SET_COOKIE, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn stickiness_follows_the_attributes() {
        assert_eq!(
            from_attributes(attrs(&[("stickiness.enabled", "false")])),
            None
        );
        let lb = from_attributes(attrs(&[
            ("stickiness.enabled", "true"),
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "60"),
        ]));
        assert_eq!(lb, Some(Stickiness::LbCookie { duration_s: 60 }));
        let app = from_attributes(attrs(&[
            ("stickiness.enabled", "true"),
            ("stickiness.type", "app_cookie"),
            ("stickiness.app_cookie.cookie_name", "SESSION"),
        ]));
        assert_eq!(
            app,
            Some(Stickiness::AppCookie {
                name: "SESSION".into(),
                duration_s: 86_400
            })
        );
    }

    #[test]
    fn the_lb_cookie_is_read_back_and_set_on_every_response() {
        let s = Stickiness::LbCookie { duration_s: 60 };
        let mut req = HeaderMap::new();
        req.insert(COOKIE, HeaderValue::from_static("a=1; AWSALB=tok; b=2"));
        assert_eq!(s.requested(&req), Some("tok"));
        let mut resp = HeaderMap::new();
        s.set(&mut resp, "tok", 0);
        let set: Vec<&str> = resp
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii"))
            .collect();
        assert_eq!(
            set,
            [
                "AWSALB=tok; Expires=Thu, 01 Jan 1970 00:01:00 GMT; Path=/",
                "AWSALBCORS=tok; Expires=Thu, 01 Jan 1970 00:01:00 GMT; Path=/; SameSite=None; Secure"
            ]
        );
    }

    #[test]
    fn app_cookies_follow_only_a_response_setting_the_application_cookie() {
        let s = Stickiness::AppCookie {
            name: "SESSION".into(),
            duration_s: 60,
        };
        let mut resp = HeaderMap::new();
        s.set(&mut resp, "tok", 0);
        assert!(resp.get(SET_COOKIE).is_none());
        resp.insert(SET_COOKIE, HeaderValue::from_static("SESSION=abc; Path=/"));
        s.set(&mut resp, "tok", 0);
        let set: Vec<&str> = resp
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii"))
            .collect();
        assert_eq!(set.len(), 5);
        assert!(set[1].starts_with("AWSALBAPP-0=tok; Expires="));
        assert!(set[4].starts_with("AWSALBAPP-3=_remove_;"));
    }

    #[test]
    fn a_token_is_stable_and_differs_by_target() {
        assert_eq!(
            token("g", "1.2.3.4", Some(80)),
            token("g", "1.2.3.4", Some(80))
        );
        assert_ne!(
            token("g", "1.2.3.4", Some(80)),
            token("g", "1.2.3.4", Some(81))
        );
    }
}
