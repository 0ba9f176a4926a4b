//! The web UI: from the directory `http_web_dir` names, or built into the binary (feature
//! `web-ui`), with the headers a single-page application's files need.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::path::{Path, PathBuf};

/// Which web UI a server answers with, for the router and for what a server says at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ui {
    /// The files in this directory (`http_web_dir`).
    Dir(PathBuf),
    /// The UI built into the binary (feature `web-ui`).
    BuiltIn,
    /// None: paths outside the API answer 404.
    None,
}

impl Ui {
    /// The UI `settings` ask for: `http_web_dir` when set, else the built-in one when asked for
    /// (`built_in_ui`), compiled in and not empty.
    pub fn of(settings: &gotemp::HttpConfig) -> Self {
        match &settings.web_dir {
            Some(dir) => Ui::Dir(dir.clone()),
            #[cfg(feature = "web-ui")]
            None if settings.built_in_ui && BuiltIn::get("index.html").is_some() => Ui::BuiltIn,
            None => Ui::None,
        }
    }

    /// Its routes, with compression and the UI's headers; `None` for no UI.
    pub(crate) fn router(&self) -> Option<Router> {
        let files = match self {
            Ui::Dir(dir) => from_dir(dir),
            #[cfg(feature = "web-ui")]
            Ui::BuiltIn => Router::new().fallback(built_in),
            #[cfg(not(feature = "web-ui"))]
            Ui::BuiltIn => return None,
            Ui::None => return None,
        };
        // Scripts and styles shrink to a quarter gzipped; the API's responses are left as they
        // are.
        Some(
            files
                .layer(tower_http::compression::CompressionLayer::new())
                .layer(middleware::from_fn(web_headers)),
        )
    }
}

/// The web front end in `dir`: its files at their paths, and `index.html` for any other path,
/// so a browser reloading a client-side route gets the application.
fn from_dir(dir: &Path) -> Router {
    use tower_http::services::{ServeDir, ServeFile};
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    // A missing build asset is a 404, not the application page under a script's name.
    Router::new()
        .nest_service("/_app", ServeDir::new(dir.join("_app")))
        .fallback_service(files)
}

/// The web UI as this checkout built it (`web/dist`), inside the binary.
#[cfg(feature = "web-ui")]
#[derive(rust_embed::Embed)]
#[folder = "../web/dist"]
struct BuiltIn;

/// The built-in files at their paths (with an `ETag` from their digest), `index.html` for any
/// other path, a 404 for a missing build asset and a 405 for a method other than GET and HEAD,
/// as [`from_dir`] answers.
#[cfg(feature = "web-ui")]
async fn built_in(request: Request) -> Response {
    use axum::http::{Method, StatusCode};
    use axum::response::IntoResponse as _;
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let allow = [(header::ALLOW, "GET, HEAD")];
        return (StatusCode::METHOD_NOT_ALLOWED, allow).into_response();
    }
    let path = request.uri().path().trim_start_matches('/');
    let file = match BuiltIn::get(path).filter(|_| !path.is_empty()) {
        Some(file) => file,
        None if path.starts_with("_app/") => return StatusCode::NOT_FOUND.into_response(),
        None => match BuiltIn::get("index.html") {
            Some(index) => index,
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    // Weak: the same file leaves compressed or not, as the client asks.
    let etag = format!("W/\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let unchanged = (request.headers().get(header::IF_NONE_MATCH))
        .and_then(|given| given.to_str().ok())
        .is_some_and(|given| matches(given, &etag));
    let mut response = match unchanged {
        true => StatusCode::NOT_MODIFIED.into_response(),
        false => axum::body::Body::from(file.data).into_response(),
    };
    let headers = response.headers_mut();
    if let Ok(kind) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, kind);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// Whether an `If-None-Match` list names `etag`: `*`, or any of its tags compared weakly
/// (RFC 9110, 13.1.2).
#[cfg(feature = "web-ui")]
fn matches(given: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    given.trim() == "*" || given.split(',').any(|tag| opaque(tag) == opaque(etag))
}

#[cfg(feature = "web-ui")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Built assets under `/_app/immutable/` have content hashes in their names, so browsers may
/// keep them for good; everything else (`index.html` above all) is revalidated, so a new build
/// reaches people on their next load. The page may not be framed by another site (its own
/// content security policy travels in the page) and files are taken for what they say they are.
async fn web_headers(request: Request, next: Next) -> Response {
    let immutable = request.uri().path().starts_with("/_app/immutable/");
    let mut response = next.run(request).await;
    let policy = match immutable && response.status().is_success() {
        true => "public, max-age=31536000, immutable",
        false => "no-cache",
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

#[cfg(all(test, feature = "web-ui"))]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use tower::ServiceExt as _;

    async fn get(path: &str, etag: Option<&str>) -> Response {
        let router = Ui::BuiltIn.router().expect("a UI is built in");
        let mut request = Request::builder().uri(path);
        if let Some(etag) = etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        router
            .oneshot(request.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap()
    }

    /// What a binary copied away from its checkout serves: the UI it was built with.
    #[tokio::test]
    async fn the_built_in_ui_answers_like_the_directory_did() {
        let mut settings = gotemp::HttpConfig::default();
        assert_eq!(
            Ui::of(&settings),
            Ui::None,
            "only when a server program asks for it"
        );
        settings.built_in_ui = true;
        assert_eq!(Ui::of(&settings), Ui::BuiltIn);
        let page = get("/", None).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = page.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = get("/", Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let strong = etag.trim_start_matches("W/");
        let listed = get("/", Some(&format!("\"other\", {strong}"))).await;
        assert_eq!(
            listed.status(),
            StatusCode::NOT_MODIFIED,
            "a list, compared weakly"
        );
        assert_eq!(get("/", Some("\"other\"")).await.status(), StatusCode::OK);
        let route = get("/customers/ducksrus", None).await;
        assert_eq!(
            route.status(),
            StatusCode::OK,
            "a client-side route gets the application"
        );
        assert_eq!(route.headers()[header::ETAG], etag.as_str());
        let missing = get("/_app/immutable/missing.js", None).await;
        assert_eq!(
            missing.status(),
            StatusCode::NOT_FOUND,
            "not the page under a script's name"
        );
    }
}
