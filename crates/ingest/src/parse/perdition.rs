//! Perdition IMAP/POP3 proxy: `Auth: ip:port->ip:port … authentication_id="u" … status="failed: …"`
//! and `Fatal Error reading authentication information from client ip:port->…`.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{after, kv};

/// Interprets a Perdition message.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Perdition;
    let peer = message
        .strip_prefix("Auth: ")
        .or_else(|| after(message, "from client "))
        .and_then(|p| p.split("->").next())
        .and_then(|p| p.rsplit_once(':'));
    if let Some((ip, port)) = peer {
        event.set_source(ip);
        event.source_port = port.parse().ok();
    }
    if let Some(user) = kv(message, "authentication_id=") {
        event.user_name = Some(user.trim_matches('"').into());
    }
    let failed = kv(message, "status=")
        .is_some_and(|s| s.trim_start_matches('"').starts_with("failed"))
        || message.starts_with("Fatal Error reading authentication information");
    if failed {
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some(
            message
                .split_once("status=")
                .map_or(message, |(_, s)| s)
                .into(),
        );
    }
    true
}
