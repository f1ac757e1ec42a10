//! The signed-in user, as every component can ask for it. `App` loads it once per page load
//! (sign-in and sign-out reload the page) and provides the resource as context.

use leptos::prelude::*;

use crate::error::PanelError;
use shared::model::{Me, Permission};

/// The signed-in user (`None` on the sign-in and setup pages).
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<Me>, PanelError>>);

/// The signed-in user. Reads a resource: call it inside a `Transition` (or `Suspense`), in a
/// reactive closure, so server rendering waits for it and hydration sees the same answer.
pub fn use_me() -> Option<Me> {
    use_context::<CurrentUser>()
        .and_then(|user| user.0.get())
        .and_then(Result::ok)
        .flatten()
}

/// Whether the signed-in user's role allows `permission`. Only hides what would be refused:
/// the server checks every call again.
pub fn can(permission: Permission) -> bool {
    use_me().is_some_and(|me| me.role.allows(permission))
}

/// A full page load of `path`: after signing in or out, everything starts afresh.
pub fn reload_to(path: &str) {
    let _ = window().location().set_href(path);
}

/// The `next` parameter of the sign-in URL, if it is a path on this site (never another site),
/// judged as the browser's URL parser will read it: that parser drops tabs and newlines
/// anywhere (`/\t/evil.example` becomes `//evil.example`, another host) and reads `\` as `/`.
/// So those are dropped here too, and any other control character, a start other than one
/// `/`, or a backslash anywhere gives the home page instead. The parser also removes `.` and
/// `..` segments (`%2e` counts as `.`): `/x/..//evil.example` becomes `//evil.example`, so the
/// path part (before `?`/`#`) may hold neither such a segment nor an empty one (`//`).
pub fn safe_next(next: Option<String>) -> String {
    next.map(|n| n.replace(['\t', '\n', '\r'], ""))
        .filter(|n| {
            let path = n.split(['?', '#']).next().unwrap_or_default();
            n.starts_with('/')
                && !path.contains("//")
                && !path.split('/').any(|s| {
                    matches!(
                        s.to_ascii_lowercase().replace("%2e", ".").as_str(),
                        "." | ".."
                    )
                })
                && !n.contains('\\')
                && !n.contains(char::is_control)
        })
        .unwrap_or_else(|| "/".to_owned())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/applications/3/secrets".into())),
            "/applications/3/secrets"
        );
        assert_eq!(safe_next(Some("/users?x=1#top".into())), "/users?x=1#top");
        assert_eq!(safe_next(Some("//evil.example".into())), "/");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/");
        assert_eq!(safe_next(None), "/");
    }

    /// Each is, or could become in the browser, another host (or is no plain path): the home
    /// page instead.
    #[test]
    fn next_is_read_as_the_browser_reads_it() {
        for next in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "\n/\\evil.example",
            "/\t\\evil.example",
            "\\\\evil.example",
            "/app/\\..\\\\evil.example",
            " //evil.example",
            "\u{0}//evil.example",
            "/\u{0}/evil.example",
            "/\u{1b}/evil.example",
            "/\u{7f}",
            "/\u{85}/evil.example",
            "",
            "evil.example",
        ] {
            assert_eq!(safe_next(Some(next.into())), "/", "{next:?}");
        }
        // Dot segments go before the browser resolves the path: any of them could leave `//`.
        for next in [
            "/.//evil.example",
            "/x/..//evil.example",
            "/%2e//evil.example",
            "/%2E//evil.example",
            "/x/%2e%2E//evil.example",
            "/x/.%2e//evil.example",
            "/x//evil.example",
            "/./users",
            "/users/..",
            "/x/\t..//evil.example",
        ] {
            assert_eq!(safe_next(Some(next.into())), "/", "{next:?}");
        }
        // Only the path part counts: a query or fragment may hold `//` and dots.
        assert_eq!(
            safe_next(Some("/users?back=//x/../y#a//b".into())),
            "/users?back=//x/../y#a//b"
        );
        assert_eq!(safe_next(Some("/a.b/..c/.d".into())), "/a.b/..c/.d");
        // Dropped, as the browser drops them: the same page on this site.
        assert_eq!(safe_next(Some("/us\ters".into())), "/users");
        assert_eq!(safe_next(Some("/users\n".into())), "/users");
    }
}
