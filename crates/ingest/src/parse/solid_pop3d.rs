//! solid-pop3d: `authentication failed … user - ip`, `root login not allowed - ip`.

use vigie_event::{Category, Dataset, Event, Outcome};

/// Interprets a solid-pop3d message.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::SolidPop3d;
    event.protocol = Some("pop3".into());
    let Some((what, ip)) = message.rsplit_once(" - ") else {
        return true;
    };
    event.set_source(ip);
    let failed = what.contains("authentication failed")
        || what.contains("login not allowed")
        || what.contains("can't find APOP secret");
    if failed {
        let user = what
            .rsplit([' ', ':'])
            .next()
            .filter(|u| !u.is_empty() && *u != "allowed");
        event.user_name = user.map(Into::into);
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some(what.into());
    }
    true
}
