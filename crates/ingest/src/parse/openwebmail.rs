//! OpenWebMail: `Sat Dec 28 19:03:53 2013 - [pid] (ip) user - login error - reason`.

use super::text;
use vigie_event::{Category, Dataset, Event, Outcome};

use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// Parses an OpenWebMail log line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let (time, used) = timestamp::ctime(line.as_bytes()).ok_or(Miss::NotMine)?;
    let rest = line[used..].strip_prefix(" - [").ok_or(Miss::NotMine)?;
    let (pid, rest) = text::split_once(rest, "] (").ok_or(Miss::NotMine)?;
    let (ip, rest) = text::split_once(rest, ") ").ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::OpenWebmail, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    event.process_pid = pid.parse().ok();
    event.protocol = Some("http".into());
    event.set_source(ip);
    event.message = Some(rest.into());
    let mut parts = rest.splitn(3, " - ");
    if let (Some(user), Some(what)) = (parts.next(), parts.next()) {
        event.user_name = Some(user.into());
        if what.contains("error") && (what.contains("login") || what.contains("userinfo")) {
            event.classify(Category::Authentication, "login-failed", Outcome::Failure);
            event.reason = parts.next().map(Into::into);
        } else if what == "login" {
            event.classify(Category::Authentication, "login", Outcome::Success);
        }
    }
    Ok(event)
}
