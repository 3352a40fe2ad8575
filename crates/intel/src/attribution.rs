//! Attribution as weighted hypotheses, never a verdict.
//!
//! What the case shows — ATT&CK techniques of its medium-and-above findings,
//! the webmail behaviours they amount to, the CVEs of exploit mail, and
//! indicators a feed attributes to an actor — is weighed against each actor
//! profile and each generic hypothesis:
//!
//! * a technique weighs by how specific it is: `ln((N+1)/(n+1))` for a
//!   technique n of the N profiles list (one every actor uses weighs ~0);
//!   an actor gets up to 4 points for the share of that weight its profile
//!   covers, and the weight it does not cover counts against it (up to 1);
//! * each behaviour weighs what the curated supplement says for the actor
//!   or hypothesis (`intel/webmail-supplement.json`, with its sources);
//! * an exploit's CVE reported for the actor: +3; reported only for other
//!   actors: −1.5; an indicator a feed attributes to it: +3 (each capped at 6).
//!
//! Hypotheses are ranked by points for minus points against. Actors of the
//! same campaign (APT28, TA458, Winter Vivern for RoundPress) stay separate
//! lines, side by side.
//!
//! # Scenarios and the ranking each must give
//!
//! Techniques most profiles share (brute force, valid accounts, exploit of
//! a public-facing application) move the generic hypotheses; a named actor
//! rises above `weak` only on evidence specific to a few actors.
//!
//! | scenario | must rank | test |
//! |---|---|---|
//! | commodity SMTP brute force | a generic hypothesis first (crime); no named actor above weak | `scenarios::commodity_smtp_brute_force_moves_only_generic_hypotheses` |
//! | two generic techniques (T1078, T1190) | generic hypotheses only | `scenarios::generic_techniques_alone_name_no_actor` |
//! | credential stuffing, then spam | financially motivated crime first; no named actor above weak | `scenarios::credential_stuffing_then_spam_is_crime_first` |
//! | the lab RoundPress run | APT28, TA458, Winter Vivern the first three actors; other actors weak | `vigie` `tests/answers.rs::the_lab_roundpress_run_ranks_the_three_roundpress_actors_first` |
//! | CVE-2023-5631 mail opened, then mail stolen | Winter Vivern first | `scenarios::winter_vivern_exploit_opened_then_mail_stolen_is_winter_vivern_first` |
//! | webmail defacement or bulk download for a leak | hacktivism first; no named actor above weak | `scenarios::defacement_or_bulk_download_for_a_leak_is_hacktivism_first` |
//! | nothing high | nothing ranked | `scenarios::nothing_high_ranks_nothing` |

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use vigie_event::Finding;

use crate::matcher::ActorMatch;

const ACTORS: &str = include_str!("../../../intel/actors.json");
const SUPPLEMENT: &str = include_str!("../../../intel/webmail-supplement.json");

#[derive(Deserialize)]
struct GeneratedFile {
    source: Provenance,
    actors: Vec<GeneratedActor>,
}

/// Where the generated profiles come from.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Provenance {
    /// The PyPI package.
    pub package: String,
    /// Its version.
    pub version: String,
    /// The version of each galaxy cluster read.
    pub clusters: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
struct GeneratedActor {
    name: String,
    attack_id: Option<String>,
    aliases: Vec<String>,
    country: Option<String>,
    motive: Option<String>,
    techniques: Vec<String>,
}

#[derive(Deserialize)]
struct Supplement {
    behaviours: Vec<Behaviour>,
    actors: Vec<CuratedActor>,
    generic: Vec<Generic>,
}

#[derive(Deserialize)]
struct Behaviour {
    id: String,
    name: String,
    rules: Vec<String>,
    techniques: Vec<String>,
    #[serde(default)]
    min_level: Option<String>,
}

#[derive(Deserialize)]
struct CuratedActor {
    name: String,
    campaign: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    motive: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    techniques: Vec<String>,
    behaviours: BTreeMap<String, f64>,
    cves: Vec<String>,
    raise: Vec<String>,
    lower: Vec<String>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
struct Generic {
    name: String,
    about: String,
    #[serde(rename = "for")]
    support: BTreeMap<String, f64>,
    against: BTreeMap<String, f64>,
    /// Points when indicators attributed to a named actor matched.
    #[serde(default)]
    named_actor_indicators: f64,
    raise: Vec<String>,
    lower: Vec<String>,
}

/// One actor: ATT&CK's profile merged with the curated supplement.
struct Actor {
    name: String,
    attack_id: Option<String>,
    aliases: Vec<String>,
    country: Option<String>,
    motive: Option<String>,
    techniques: BTreeSet<String>,
    curated: Option<CuratedActor>,
}

/// Actor profiles and hypotheses, as shipped in the binary.
pub struct Profiles {
    provenance: Provenance,
    actors: Vec<Actor>,
    behaviours: Vec<Behaviour>,
    generic: Vec<Generic>,
}

impl Profiles {
    /// The profiles generated from `pymispgalaxies` plus the curated supplement.
    pub fn builtin() -> Profiles {
        let generated: GeneratedFile =
            serde_json::from_str(ACTORS).expect("intel/actors.json is valid (checked by tests)");
        let supplement: Supplement = serde_json::from_str(SUPPLEMENT)
            .expect("intel/webmail-supplement.json is valid (checked by tests)");
        let mut actors: Vec<Actor> = generated
            .actors
            .into_iter()
            .map(|a| Actor {
                name: a.name,
                attack_id: a.attack_id,
                aliases: a.aliases,
                country: a.country,
                motive: a.motive,
                techniques: a.techniques.into_iter().collect(),
                curated: None,
            })
            .collect();
        for curated in supplement.actors {
            let found = actors.iter_mut().find(|a| {
                a.name == curated.name
                    || a.aliases
                        .iter()
                        .any(|x| x.eq_ignore_ascii_case(&curated.name))
            });
            match found {
                Some(actor) => {
                    actor.techniques.extend(curated.techniques.iter().cloned());
                    actor.curated = Some(curated);
                }
                None => actors.push(Actor {
                    name: curated.name.clone(),
                    attack_id: None,
                    aliases: curated.aliases.clone(),
                    country: curated.country.clone(),
                    motive: curated.motive.clone(),
                    techniques: curated.techniques.iter().cloned().collect(),
                    curated: Some(curated),
                }),
            }
        }
        Profiles {
            provenance: generated.source,
            actors,
            behaviours: supplement.behaviours,
            generic: supplement.generic,
        }
    }

    /// How many actor profiles there are.
    pub fn actor_count(&self) -> usize {
        self.actors.len()
    }
}

/// One hypothesis with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Hypothesis {
    /// The actor, or the generic hypothesis.
    pub name: String,
    /// `actor` or `generic`.
    pub kind: &'static str,
    /// ATT&CK group id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack_id: Option<String>,
    /// Other names (first few).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Suspected country, as the galaxy gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The campaign the supplement groups it in (actors competing for it are shown side by side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Points for minus points against.
    pub score: f64,
    /// `weak`, `moderate` or `substantial` — support, never a verdict.
    pub support: &'static str,
    /// What in the case speaks for it.
    pub evidence_for: Vec<String>,
    /// What speaks against it.
    pub evidence_against: Vec<String>,
    /// What would raise it.
    pub would_raise: Vec<String>,
    /// What would lower it.
    pub would_lower: Vec<String>,
    /// Where its profile comes from.
    pub sources: Vec<String>,
}

/// What the case shows, as attribution reads it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Observed {
    /// ATT&CK techniques of the medium-and-above findings.
    pub techniques: Vec<String>,
    /// Behaviours recognised, with the finding titles that show each.
    pub behaviours: BTreeMap<String, Vec<String>>,
    /// CVEs of exploit findings.
    pub cves: Vec<String>,
    /// Indicators matched that a feed attributes to an actor.
    pub actor_indicators: Vec<String>,
}

/// The ranked hypotheses of a case.
#[derive(Clone, Debug, Serialize)]
pub struct Attribution {
    /// One sentence on what this is and is not.
    pub statement: String,
    /// What was weighed.
    pub observed: Observed,
    /// Best first; empty when nothing points to an intrusion.
    pub hypotheses: Vec<Hypothesis>,
    /// The reference data used.
    pub profiles: String,
}

/// Techniques with their weights.
type Weighed<'a> = Vec<(&'a str, f64)>;

/// Named actors shown besides those of a campaign in play.
const NAMED_SHOWN: usize = 6;

/// Techniques nearly every intruder uses (password guessing, valid
/// accounts, exploiting a public-facing application): they move the
/// generic hypotheses, never a named actor.
const COMMON_TECHNIQUES: [&str; 3] = ["T1110", "T1078", "T1190"];

/// A technique in more than this share of the profiles is common too.
const COMMON_SHARE: f64 = 0.2;

/// The most a named actor gets from technique overlap alone: below
/// "moderate", so only evidence specific to few actors (an exploit CVE,
/// a webmail campaign's behaviour, an attributed indicator) raises it.
const TECHNIQUE_POINTS: f64 = 2.0;

fn rank(level: &str) -> u8 {
    match level {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

fn parent(technique: &str) -> &str {
    technique.split('.').next().unwrap_or(technique)
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn support(score: f64) -> &'static str {
    if score >= 8.0 {
        "substantial"
    } else if score >= 4.0 {
        "moderate"
    } else {
        "weak"
    }
}

/// CVE ids in a text.
fn cves_in(text: &str, out: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(at) = rest.find("CVE-") {
        let tail = &rest[at + 4..];
        let len = tail
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'-')
            .count();
        let id = tail[..len].trim_end_matches('-');
        if id.len() >= 9 && id.as_bytes()[4] == b'-' {
            out.insert(format!("CVE-{id}"));
        }
        rest = &tail[len..];
    }
}

/// Ranks the hypotheses for a case's findings and actor-attributed matches.
pub fn attribute(findings: &[Finding], matches: &[ActorMatch], profiles: &Profiles) -> Attribution {
    let about = format!(
        "{} actor profiles from {} {} (MISP galaxy clusters {}) and the curated webmail supplement",
        profiles.actor_count(),
        profiles.provenance.package,
        profiles.provenance.version,
        profiles
            .provenance
            .clusters
            .iter()
            .map(|(k, v)| format!("{k} v{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !findings.iter().any(|f| rank(&f.level) >= 3) {
        return Attribution {
            statement: "No finding of high or critical level: nothing here points to an intrusion, so no hypothesis is ranked.".into(),
            observed: Observed::default(),
            hypotheses: Vec::new(),
            profiles: about,
        };
    }
    let weighed: Vec<&Finding> = findings.iter().filter(|f| rank(&f.level) >= 2).collect();
    let mut observed = Observed::default();
    let techniques: BTreeSet<String> = weighed
        .iter()
        .flat_map(|f| f.attack.iter().cloned())
        .collect();
    let mut cves = BTreeSet::new();
    for f in weighed.iter().filter(|f| {
        f.rule_id.starts_with("VM") || f.rule_id.starts_with("VC") || rank(&f.level) >= 3
    }) {
        cves_in(&f.title, &mut cves);
        cves_in(&f.reason, &mut cves);
    }
    for b in &profiles.behaviours {
        let min = b.min_level.as_deref().map_or(2, rank);
        let mut shown: Vec<String> = weighed
            .iter()
            .filter(|f| rank(&f.level) >= min)
            .filter(|f| {
                b.rules.iter().any(|r| f.rule_id.starts_with(r.as_str()))
                    || f.attack.iter().any(|t| b.techniques.contains(t))
            })
            .map(|f| f.title.clone())
            .collect();
        shown.sort();
        shown.dedup();
        if !shown.is_empty() {
            observed.behaviours.insert(b.id.clone(), shown);
        }
    }
    let behaviour_name = |id: &str| {
        profiles
            .behaviours
            .iter()
            .find(|b| b.id == id)
            .map_or(id.to_string(), |b| b.name.clone())
    };

    // Specificity of each observed technique across all profiles.
    let n = profiles.actors.len() as f64;
    let weight = |t: &str| {
        let users = profiles
            .actors
            .iter()
            .filter(|a| a.techniques.contains(t) || a.techniques.contains(parent(t)))
            .count() as f64;
        ((n + 1.0) / (users + 1.0)).ln()
    };
    let common = |t: &str| {
        let users = profiles
            .actors
            .iter()
            .filter(|a| a.techniques.contains(t) || a.techniques.contains(parent(t)))
            .count() as f64;
        COMMON_TECHNIQUES.contains(&parent(t)) || users > COMMON_SHARE * n
    };
    let weights: BTreeMap<&str, f64> = techniques
        .iter()
        .filter(|t| !common(t))
        .map(|t| (t.as_str(), weight(t)))
        .collect();
    // A behaviour made only of common techniques says nothing of who.
    let generic_behaviour = |id: &str| {
        profiles
            .behaviours
            .iter()
            .any(|b| b.id == id && b.rules.is_empty() && b.techniques.iter().all(|t| common(t)))
    };
    let total: f64 = weights.values().sum::<f64>().max(f64::EPSILON);

    let mut named = Vec::new();
    for actor in &profiles.actors {
        let mut points = 0.0;
        let mut against = 0.0;
        let mut evidence_for = Vec::new();
        let mut evidence_against = Vec::new();
        let (covered, missing): (Weighed, Weighed) =
            weights.iter().map(|(t, w)| (*t, *w)).partition(|(t, _)| {
                actor.techniques.contains(*t) || actor.techniques.contains(parent(t))
            });
        let share = covered.iter().map(|(_, w)| w).sum::<f64>() / total;
        // An actor that shares no uncommon technique is still weighed: an
        // exploit or an indicator specific to it is evidence on its own (a
        // mail exploit's techniques are common to most profiles).
        if !covered.is_empty() {
            points += TECHNIQUE_POINTS * share;
            evidence_for.push(format!(
                "techniques in its profile: {} ({:.0}% of the observed techniques' specificity)",
                covered
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", "),
                share * 100.0
            ));
        }
        if !missing.is_empty() {
            against += 1.0 - share;
            evidence_against.push(format!(
                "observed but not in its profile: {}",
                missing
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        // Points from evidence specific to few actors, and from common
        // behaviours, which count only beside specific evidence.
        let mut specific = 0.0;
        let mut corroborating = 0.0;
        if let Some(c) = &actor.curated {
            let (common_weights, specific_weights): (BTreeMap<_, _>, BTreeMap<_, _>) = c
                .behaviours
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .partition(|(b, _)| generic_behaviour(b));
            specific += weigh(
                &specific_weights,
                &observed,
                &behaviour_name,
                '+',
                &mut evidence_for,
            );
            let mut common_evidence = Vec::new();
            corroborating += weigh(
                &common_weights,
                &observed,
                &behaviour_name,
                '+',
                &mut common_evidence,
            );
            let own: Vec<&String> = cves.iter().filter(|c2| c.cves.contains(c2)).collect();
            if !own.is_empty() {
                specific += (3.0 * own.len() as f64).min(6.0);
                evidence_for.push(format!("exploit reported for it: {}", join(&own)));
            }
            if specific > 0.0 {
                evidence_for.extend(common_evidence);
            }
        }
        let others: Vec<&String> = cves
            .iter()
            .filter(|cve| {
                !actor.curated.as_ref().is_some_and(|c| c.cves.contains(cve))
                    && profiles
                        .actors
                        .iter()
                        .any(|o| o.curated.as_ref().is_some_and(|c| c.cves.contains(cve)))
            })
            .collect();
        if !others.is_empty() {
            against += 1.5 * others.len() as f64;
            evidence_against.push(format!(
                "exploit reported for another actor: {}",
                join(&others)
            ));
        }
        let mine: Vec<&ActorMatch> = matches
            .iter()
            .filter(|m| {
                m.actor.eq_ignore_ascii_case(&actor.name)
                    || actor
                        .aliases
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(&m.actor))
            })
            .collect();
        if !mine.is_empty() {
            specific += (3.0 * mine.len() as f64).min(6.0);
            evidence_for.push(format!(
                "indicators attributed to it matched: {}",
                mine.iter()
                    .map(|m| format!("{} (set {})", m.indicator, m.source))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let (raise, lower, sources, campaign) = match &actor.curated {
            Some(c) => (
                c.raise.clone(),
                c.lower.clone(),
                c.sources.clone(),
                Some(c.campaign.clone()),
            ),
            None => (
                Vec::new(),
                Vec::new(),
                vec![format!(
                    "ATT&CK {} via MISP galaxy",
                    actor.attack_id.as_deref().unwrap_or(&actor.name)
                )],
                None,
            ),
        };
        if specific > 0.0 {
            points += specific + corroborating;
        } else {
            evidence_against
                .push("nothing specific to it: only techniques many actors share".to_string());
        }
        let mut sources = sources;
        if let Some(motive) = &actor.motive {
            sources.push(format!("motive in the galaxy: {motive}"));
        }
        let score = round((points - against).max(0.0));
        named.push(Hypothesis {
            name: actor.name.clone(),
            kind: "actor",
            attack_id: actor.attack_id.clone(),
            aliases: actor.aliases.iter().take(8).cloned().collect(),
            country: actor.country.clone(),
            campaign,
            score,
            support: support(score),
            evidence_for,
            evidence_against,
            would_raise: raise,
            would_lower: lower,
            sources,
        });
    }
    named.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.name.cmp(&b.name))
    });
    // The campaigns of the best-placed curated actors stay whole.
    let campaigns: BTreeSet<String> = named
        .iter()
        .take(NAMED_SHOWN)
        .filter(|h| h.score > 0.0)
        .filter_map(|h| h.campaign.clone())
        .collect();
    let mut hypotheses: Vec<Hypothesis> = named
        .into_iter()
        .enumerate()
        .filter(|(i, h)| {
            h.score > 0.0
                && (*i < NAMED_SHOWN || h.campaign.as_ref().is_some_and(|c| campaigns.contains(c)))
        })
        .map(|(_, h)| h)
        .collect();

    for g in &profiles.generic {
        let mut evidence_for = Vec::new();
        let mut evidence_against = Vec::new();
        let mut points = weigh(
            &g.support,
            &observed,
            &behaviour_name,
            '+',
            &mut evidence_for,
        );
        let against = weigh(
            &g.against,
            &observed,
            &behaviour_name,
            '−',
            &mut evidence_against,
        );
        if g.named_actor_indicators > 0.0 && !matches.is_empty() {
            points += g.named_actor_indicators;
            evidence_for.push(format!(
                "indicators attributed to named actors matched: {}",
                matches
                    .iter()
                    .map(|m| m.actor.as_str())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let score = round((points - against).max(0.0));
        hypotheses.push(Hypothesis {
            name: g.name.clone(),
            kind: "generic",
            attack_id: None,
            aliases: Vec::new(),
            country: None,
            campaign: None,
            score,
            support: support(score),
            evidence_for,
            evidence_against,
            would_raise: g.raise.clone(),
            would_lower: g.lower.clone(),
            sources: vec![g.about.clone()],
        });
    }
    hypotheses.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.name.cmp(&b.name))
    });

    observed.techniques = techniques.into_iter().collect();
    observed.cves = cves.into_iter().collect();
    observed.actor_indicators = matches
        .iter()
        .map(|m| format!("{} → {} (set {})", m.indicator, m.actor, m.source))
        .collect();
    Attribution {
        statement: "Hypotheses ranked by the weighted overlap of what this case shows with each profile; a score is support, not a verdict, and actors of one campaign are listed side by side.".into(),
        observed,
        hypotheses,
        profiles: about,
    }
}

/// The points of the observed behaviours among `weights`; each adds an
/// evidence line (`name (+w): the findings that show it`).
fn weigh(
    weights: &BTreeMap<String, f64>,
    observed: &Observed,
    name: &dyn Fn(&str) -> String,
    sign: char,
    evidence: &mut Vec<String>,
) -> f64 {
    let mut points = 0.0;
    for (b, w) in weights {
        if let Some(shown) = observed.behaviours.get(b) {
            points += w;
            evidence.push(format!("{} ({sign}{w}): {}", name(b), shown.join("; ")));
        }
    }
    points
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_event::{Entity, Timestamp};

    fn finding(rule: &str, level: &str, attack: &[&str], title: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            title: title.into(),
            level: level.into(),
            attack: attack.iter().map(|s| s.to_string()).collect(),
            entity: Entity::default(),
            first_seen: Timestamp::from_unix(0, 0),
            last_seen: Timestamp::from_unix(0, 0),
            count: 1,
            evidence: Vec::new(),
            reason: String::new(),
        }
    }

    #[test]
    fn shipped_profiles_load_with_their_provenance() {
        let p = Profiles::builtin();
        assert!(p.actor_count() > 150);
        assert_eq!(p.provenance.package, "pymispgalaxies");
        let apt28 = p.actors.iter().find(|a| a.name == "APT28").unwrap();
        assert!(apt28.techniques.contains("T1114.003"), "supplement merged");
        assert!(
            p.actors.iter().any(|a| a.name == "TA458"),
            "supplement-only actor added"
        );
    }

    #[test]
    fn no_serious_finding_claims_nothing() {
        let a = attribute(
            &[finding(
                "VA001",
                "low",
                &["T1078"],
                "Login from an address new for the account",
            )],
            &[],
            &Profiles::builtin(),
        );
        assert!(a.hypotheses.is_empty());
    }

    #[test]
    fn a_winter_vivern_exploit_and_indicator_shift_the_ranking() {
        let findings = [
            finding(
                "VM003",
                "critical",
                &["T1203", "T1059.007"],
                "Message carries svg_data_uri_whitespace (CVE-2023-5631)",
            ),
            finding(
                "x",
                "high",
                &["T1114.002"],
                "Many messages opened from one source",
            ),
        ];
        let matches = [ActorMatch {
            actor: "TA473".into(),
            indicator: "domain recsecas.com".into(),
            source: "eset".into(),
        }];
        let a = attribute(&findings, &matches, &Profiles::builtin());
        assert_eq!(
            a.hypotheses[0].name, "Winter Vivern",
            "{:#?}",
            a.hypotheses[0]
        );
        let apt28 = a.hypotheses.iter().find(|h| h.name == "APT28").unwrap();
        assert!(
            apt28
                .evidence_against
                .iter()
                .any(|e| e.contains("CVE-2023-5631"))
        );
        assert_eq!(a.observed.cves, ["CVE-2023-5631"]);
    }

    #[test]
    fn mass_mailing_after_a_brute_force_points_to_crime_not_espionage() {
        let brute_force = finding(
            "20db1305",
            "high",
            &["T1110.001"],
            "IMAP or POP3 brute force from one source",
        );
        let spam = finding(
            "VA009",
            "high",
            &["T1078", "T1534", "T1566"],
            "Mass mailing from an account",
        );
        let rank = |findings: &[Finding], name: &str| {
            let a = attribute(findings, &[], &Profiles::builtin());
            let h = a.hypotheses.iter().find(|h| h.name == name).unwrap();
            (h.score, h.evidence_against.clone())
        };
        let with_spam = [brute_force.clone(), spam];
        let (crime, _) = rank(&with_spam, "Financially motivated crime");
        let (espionage, against) = rank(&with_spam, "State espionage");
        assert!(crime > espionage, "crime {crime} vs espionage {espionage}");
        assert!(
            against.iter().any(|e| e.contains("mass mailing")),
            "{against:?}"
        );
        let (crime_without, _) = rank(&[brute_force], "Financially motivated crime");
        assert!(crime > crime_without);
    }

    /// Issue 14's scenario table: what each case must rank first, and that
    /// techniques most profiles share never lift a named actor above weak.
    mod scenarios {
        use super::*;

        fn ranked(findings: &[Finding]) -> Vec<Hypothesis> {
            attribute(findings, &[], &Profiles::builtin()).hypotheses
        }

        fn no_named_actor_above_weak(hypotheses: &[Hypothesis]) {
            for h in hypotheses.iter().filter(|h| h.kind == "actor") {
                assert_eq!(
                    h.support, "weak",
                    "{} {} {:?}",
                    h.name, h.score, h.evidence_for
                );
            }
        }

        #[test]
        fn commodity_smtp_brute_force_moves_only_generic_hypotheses() {
            let h = ranked(&[
                finding(
                    "b7c1",
                    "high",
                    &["T1110.001"],
                    "SMTP AUTH brute force from one source",
                ),
                finding(
                    "c2d2",
                    "medium",
                    &["T1110"],
                    "Repeated SASL failures from one source",
                ),
            ]);
            no_named_actor_above_weak(&h);
            assert_eq!(h[0].kind, "generic");
            assert_eq!(h[0].name, "Financially motivated crime");
        }

        #[test]
        fn generic_techniques_alone_name_no_actor() {
            let h = ranked(&[
                finding(
                    "VA001",
                    "high",
                    &["T1078"],
                    "Login from an address new for the account",
                ),
                finding(
                    "43495c24",
                    "high",
                    &["T1190"],
                    "Roundcube installer reached",
                ),
            ]);
            no_named_actor_above_weak(&h);
            assert!(
                h.iter().all(|h| h.kind == "generic"),
                "{:?}",
                h.iter().map(|h| &h.name).collect::<Vec<_>>()
            );
        }

        #[test]
        fn credential_stuffing_then_spam_is_crime_first() {
            let h = ranked(&[
                finding(
                    "0229",
                    "high",
                    &["T1110.003"],
                    "Webmail password spraying from one source",
                ),
                finding(
                    "1f23",
                    "critical",
                    &["T1078"],
                    "Webmail login succeeded after failures",
                ),
                finding(
                    "VA009",
                    "high",
                    &["T1078", "T1534", "T1566"],
                    "Mass mailing from an account",
                ),
            ]);
            assert_eq!(h[0].name, "Financially motivated crime", "{:?}", h[0]);
            no_named_actor_above_weak(&h);
        }

        #[test]
        fn winter_vivern_exploit_opened_then_mail_stolen_is_winter_vivern_first() {
            let h = ranked(&[
                finding(
                    "VM003",
                    "critical",
                    &["T1203", "T1059.007"],
                    "Message carries svg_data_uri_whitespace (CVE-2023-5631)",
                ),
                finding(
                    "VC001",
                    "critical",
                    &["T1203", "T1204.002"],
                    "Exploit mail opened in the webmail",
                ),
                finding(
                    "902d",
                    "high",
                    &["T1114.002"],
                    "Messages read by a source new to the account",
                ),
            ]);
            assert_eq!(h[0].name, "Winter Vivern", "{:?}", h[0]);
        }

        #[test]
        fn defacement_or_bulk_download_for_a_leak_is_hacktivism_first() {
            let h = ranked(&[
                finding(
                    "65fd",
                    "high",
                    &["T1114.002", "T1030"],
                    "Mailbox downloaded as an archive",
                ),
                finding("dfc1", "high", &["T1491.002"], "Webmail login page altered"),
            ]);
            assert_eq!(h[0].name, "Hacktivism", "{:?}", h[0]);
            no_named_actor_above_weak(&h);
        }

        #[test]
        fn nothing_high_ranks_nothing() {
            assert!(
                ranked(&[finding("af2e", "medium", &["T1110"], "Repeated failures")]).is_empty()
            );
        }
    }
}
