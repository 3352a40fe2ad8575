//! rspamd 1.x–3.x, in its own log file (`rspamd.log`) or through syslog (tag
//! `rspamd`). The file's lines (src/libserver/logger/logger_file.c) are
//!
//! ```text
//! 2026-03-20 08:09:41 #38(normal) <73b3a9>; task; rspamd_task_write_log: id: <…>, …
//! ```
//!
//! and the per-task summary is rspamd's default `log_format`
//! (src/libserver/cfg_utils.cxx, `cfg->log_format_str`):
//!
//! ```text
//! id: <$mid>,$if_qid{ qid: <$>,}$if_ip{ ip: $,}$if_user{ user: $,}$if_smtp_from{ from: <$>,}
//!  (default: $is_spam ($action): [$scores] [$symbols_scores_params]), len: $len, time: $time_real,
//!  dns req: $dns_req, digest: <$digest>$if_smtp_rcpts{ rcpts: <$>, }$if_mime_rcpt{ mime_rcpt: <$>, }
//! ```
//!
//! `$is_spam` `T`/`F`/`S` is `vigie.filter.verdict` `spam`/`clean`/`unchecked`
//! (`infected` when a symbol of the antivirus module, `*_VIRUS`, fired); the
//! action is `event.reason`, and `event.outcome` is `failure` when it stops
//! the message (`reject`, `soft reject`, `greylist`, `discard`, `quarantine`);
//! the symbols are `rule.name`; `qid` (the MTA's queue id) is `session.id`;
//! `user` (the authenticated submitter) `user.name`; `ip` `source.ip`.

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::text::{self, colon_value};
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// Whether a line is rspamd's own log line: `YYYY-MM-DD hh:mm:ss[.mmm] #pid(`.
pub fn looks_like(line: &str) -> bool {
    timestamp::iso(line.as_bytes())
        .and_then(|(_, used)| line.get(used..))
        .is_some_and(|rest| rest.starts_with(" #"))
}

/// Parses a line of rspamd's own log file: `#pid(worker)` is the process, the
/// rest the message; the task summary is read as in syslog.
pub fn parse_file<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let (time, used) = timestamp::iso(line.as_bytes()).ok_or(Miss::NotMine)?;
    let rest = line[used..].strip_prefix(" #").ok_or(Miss::NotMine)?;
    let (process, message) = text::word(rest);
    let timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let mut event = Event::new(Dataset::Rspamd, ctx.path, ctx.number);
    event.timestamp = timestamp;
    // `38(normal)`: pid and worker type.
    if let Some((pid, worker)) = process.split_once('(') {
        event.process_pid = pid.parse().ok();
        event.process_name = Some(worker.trim_end_matches(')').into());
    }
    event.message = Some(message.into());
    parse(message, &mut event);
    Ok(event)
}

/// Interprets an rspamd message (`<uid>; module; function: text`); claims the
/// per-task summary `rspamd_task_write_log`.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let Some(task) = text::after(message, "rspamd_task_write_log: ") else {
        return false;
    };
    let Some(result) = text::after(task, "(default: ") else {
        return false;
    };
    event.dataset = Dataset::Rspamd;
    let (is_spam, result) = text::word(result);
    let action = result
        .strip_prefix('(')
        .and_then(|r| text::split_once(r, "): "));
    let (action, result) = action.unwrap_or(("", result));
    let stopped = matches!(
        action,
        "reject" | "soft reject" | "greylist" | "discard" | "quarantine"
    );
    event.classify(
        Category::Email,
        "message-scanned",
        if stopped {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    );
    if !action.is_empty() {
        event.reason = Some(action.into());
    }
    // `[-0.64/20.00] [SYM(1.00){opts;},…]`
    if let Some((scores, rest)) = result.strip_prefix('[').and_then(|r| r.split_once(']')) {
        event.filter_score = scores.split('/').next().map(Into::into);
        if let Some(symbols) = rest.strip_prefix(" [") {
            event.rule_name = symbol_names(symbols);
        }
    }
    let virus = event
        .rule_name
        .as_deref()
        .is_some_and(|s| s.split(',').any(|n| n.ends_with("_VIRUS")));
    event.filter_verdict = Some(match is_spam {
        _ if virus => "infected",
        "T" => "spam",
        "S" => "unchecked",
        _ => "clean",
    });
    if let Some(id) = colon_value(task, "id: ").filter(|i| *i != "<undef>") {
        event.email_message_id = Some(strip_angles(id).into());
    }
    if let Some(qid) = colon_value(task, "qid: ") {
        event.session_id = Some(strip_angles(qid).into());
    }
    if let Some(ip) = colon_value(task, "ip: ") {
        event.set_source(ip);
    }
    if let Some(user) = colon_value(task, "user: ") {
        event.user_name = Some(user.into());
    }
    if let Some(from) = colon_value(task, "from: ").map(strip_angles) {
        event.email_from = (!from.is_empty()).then(|| from.into());
    }
    // The recipients list holds commas: `rcpts: <a@x,b@y>, `.
    if let Some(rcpts) = text::after(result, " rcpts: <").and_then(|r| r.split_once('>')) {
        event.email_to = Some(rcpts.0.into());
    }
    event.email_size = colon_value(result, "len: ").and_then(text::number);
    true
}

/// The names in `SYM(score){opts},SYM2(score){}]…`, comma-joined; options
/// may hold commas, brackets and parentheses, so braces are balanced.
fn symbol_names(list: &str) -> Option<vigie_event::Text<'_>> {
    let b = list.as_bytes();
    let mut names: Vec<&str> = Vec::new();
    let (mut i, mut start, mut depth) = (0, Some(0), 0usize);
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'(' if depth == 0 => {
                if let Some(s) = start.take() {
                    names.push(&list[s..i]);
                }
            }
            b',' if depth == 0 => start = Some(i + 1),
            b']' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    (!names.is_empty()).then(|| names.join(",").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_with_commas_and_parentheses_in_their_options() {
        assert_eq!(
            symbol_names("ASN(0.00){asn:64500, ipnet:203.0.113.0/24, country:US;},IP_SCORE(-0.04){ip: (0.1), ipnet;},R_SPF_ALLOW(-0.20){+ip4;}]), len: 1").as_deref(),
            Some("ASN,IP_SCORE,R_SPF_ALLOW")
        );
    }

    #[test]
    fn a_task_line_without_the_default_metric_is_not_claimed() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(!parse(
            "<8ae27d>; proxy; rspamd_message_parse: loaded message; id: <a@b>",
            &mut e
        ));
        assert_eq!(e.dataset, Dataset::Syslog);
    }
}
